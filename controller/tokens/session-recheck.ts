// Live agent sessions are re-verified against the store, so revocation holds whatever this process
// remembers: a token deleted right after a restart, while another replica led, or while the delete
// event raced the first reconcile, still closes its agent. Each session's token (uid, host, iat) is
// checked again with the handshake's own rule (verify.ts checkAgainstToken) soon after every
// AgentToken change and on a timer, whether or not this replica leads (it writes nothing). Checking
// is a map lookup per session, no signature work, so a recheck of 5,000 sessions is cheap.
import type { Logger } from 'pino';
import type { AgentToken } from '../api/types.js';
import type { ConnectionInfo } from '../hub/connection.js';
import { checkAgainstToken, VERIFY_REASONS } from './verify.js';

export interface SessionRecheckOptions {
  /** hub.revalidate */
  revalidate: (check: (session: ConnectionInfo) => string | undefined) => number;
  lookupTokenByUid: (uid: string) => AgentToken | undefined;
  logger: Logger;
  /** The periodic recheck (default 30 s). */
  intervalMs?: number;
  /** How long a burst of token changes is gathered before one recheck (default 50 ms). */
  debounceMs?: number;
}

/** Why a live session is no longer authorized, or undefined while it is. Pure. */
export function sessionRefusal(session: ConnectionInfo, lookup: (uid: string) => AgentToken | undefined): string | undefined {
  if (!session.tokenUid) return undefined;   // admitted without an AgentToken (tests' authenticate)
  const iat = session.tokenIssuedAt ? Math.floor(Date.parse(session.tokenIssuedAt) / 1000) : 0;
  const code = checkAgainstToken(session.hostKey, session.tokenUid, iat, lookup(session.tokenUid));
  return code && VERIFY_REASONS[code];
}

export class SessionRecheck {
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SessionRecheckOptions) {}

  start(): void {
    this.timer ??= setInterval(() => this.now(), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Recheck shortly (token changes come in bursts). */
  soon(): void {
    if (this.pending) return;
    this.pending = setTimeout(() => { this.pending = undefined; this.now(); }, this.opts.debounceMs ?? 50);
    this.pending.unref();
  }

  /** Recheck every live session now; returns how many were closed. */
  now(): number {
    try {
      const closed = this.opts.revalidate((s) => sessionRefusal(s, this.opts.lookupTokenByUid));
      if (closed) this.opts.logger.info({ closed }, 'live agent sessions closed: their tokens are no longer valid');
      return closed;
    } catch (err) {
      this.opts.logger.error({ err }, 'session recheck failed');
      return 0;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.pending);
    this.timer = this.pending = undefined;
  }
}
