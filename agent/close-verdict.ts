// Pure: what a lost connection to the controller means — how loudly to say it and how long to wait
// at least before the next attempt. Refusals the operator must fix (token, protocol version, host
// not declared) wait `refusedMs`; a superseded agent (the same token on two machines) `supersededMs`.
import { CLOSE, PROTOCOL_VERSION } from '../protocol/frames.js';

export interface CloseVerdict {
  level: 'error' | 'warn' | 'info';
  message: string;
  /** Extra log fields. */
  fields: Record<string, unknown>;
  /** Least wait before reconnecting (the backoff may wait longer). */
  floorMs: number;
}

/** Node's messages for a server certificate that does not verify. */
const TLS_REFUSAL = /certificate|altnames|self[- ]signed|unable to (get|verify)|CERT_/i;

export function closeVerdict(code: number, reason: string, httpStatus: number | undefined, retry: { refusedMs: number; supersededMs: number }): CloseVerdict {
  const refused = retry.refusedMs;
  if (httpStatus === 401 || httpStatus === 403) {
    return { level: 'error', floorMs: refused, fields: { httpStatus }, message: `token refused by the controller (HTTP ${httpStatus}${reason ? `: ${reason}` : ''}); check the token file — retrying` };
  }
  if (httpStatus !== undefined) {
    return { level: 'warn', floorMs: 0, fields: { httpStatus }, message: `the controller answered HTTP ${httpStatus} instead of accepting the connection` };
  }
  const verdict = (level: CloseVerdict['level'], floorMs: number, message: string, fields: Record<string, unknown> = {}): CloseVerdict => ({ level, floorMs, message, fields });
  // A certificate the agent cannot verify is the operator's to fix, and may be a machine in the middle.
  if (code === 1006 && TLS_REFUSAL.test(reason)) {
    return verdict('error', refused, `the controller's TLS certificate was not accepted (${reason}): is --ca-file (or ca.crt beside the token file) the CA of the controller's certificate, and does the URL name a host the certificate covers? Something in the middle would look the same — retrying`);
  }
  switch (code) {
    case CLOSE.superseded:
      return verdict('error', retry.supersededMs, 'superseded: another agent connected with this host\'s token (4001); is the same token used on two machines?');
    case CLOSE.revoked:
      return verdict('error', refused, 'the controller revoked this agent\'s token (4003); install a new token — retrying');
    case CLOSE.unsupportedVersion:
      return verdict('error', refused, 'the controller does not support this agent\'s protocol version (4002); upgrade the agent or the controller', { protocolVersion: PROTOCOL_VERSION });
    case CLOSE.policyViolation:
      return verdict('error', refused, 'the controller refused this host (1008): is the ContainerHost declared? — retrying');
    case CLOSE.protocolError:
      return verdict('error', 0, 'the controller closed the connection for protocol errors (4004)');
    case CLOSE.shuttingDown:
      return verdict('info', 0, 'the controller is going away (1001); reconnecting');
    default:
      return verdict('warn', 0, 'connection to the controller lost');
  }
}

/**
 * The reason inside an HTTP refusal's body: the controller answers JSON `{ error, message }`;
 * anything else (a proxy's page, plain text) is kept as text. Bounded either way.
 */
export function refusalReason(body: string): string {
  const text = body.trim();
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message.slice(0, 300);
  } catch { /* not JSON */ }
  return text.slice(0, 300);
}
