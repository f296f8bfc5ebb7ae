// Small facts about the agent socket's wire: what ws accepts as a close code and reason, how big a
// received message is, and how to recognise a hello of another protocol version.
import type { RawData } from 'ws';
import { PROTOCOL_VERSION } from '../../protocol/frames.js';

/** A close reason fits in 123 bytes of UTF-8 (ws throws otherwise). */
export function closeReason(reason: string): string {
  let r = reason.replace(/[\r\n]+/g, ' ');
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}

/** Codes a close frame may carry (RFC 6455 §7.4: 1004–1006 are never sent). */
export const validCloseCode = (code: number): boolean =>
  Number.isInteger(code) && ((code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999));

export const rawLength = (data: RawData): number =>
  Buffer.isBuffer(data) ? data.length : Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;

export const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

/**
 * A `hello` from another protocol version may not match this version's schema at all; recognise
 * it anyway so that the agent gets the clear 4002 instead of a schema error.
 */
export function foreignHelloVersion(raw: Buffer): unknown {
  try {
    const v = JSON.parse(raw.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'hello') {
      const version = (v as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'number' && version !== PROTOCOL_VERSION) return version;
    }
  } catch { /* not JSON: an ordinary invalid frame */ }
  return undefined;
}
