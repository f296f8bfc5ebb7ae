// The log socket's request checks that need no I/O: the query string and the Origin. Pure.
import { DEFAULT_LOG_TAIL, MAX_LOG_TAIL } from '../../protocol/log-viewer.js';
import type { LogTarget } from '../logs/fanout.js';

export interface LogQuery extends LogTarget { tail: number }
export type QueryResult = { ok: true; query: LogQuery } | { ok: false; param: string; message: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Credentials never travel in URLs (they end up in proxy and browser history): refuse outright. */
const TOKEN_PARAMS = /^(token|access_token|accesstoken|jwt|bearer|auth|authorization|id_token)$/i;

export function parseLogQuery(params: URLSearchParams): QueryResult {
  for (const name of new Set(params.keys())) {
    if (TOKEN_PARAMS.test(name)) return { ok: false, param: name, message: `query parameter "${name}": credentials are refused in URLs; the log socket uses the session cookie` };
    if (params.getAll(name).length > 1) return { ok: false, param: name, message: `query parameter "${name}" is given more than once` };
  }
  const names = [
    ['namespace', DNS_LABEL, 63, 'a DNS label (lowercase letters, digits, "-")'],
    ['host', DNS_SUBDOMAIN, 253, 'a DNS subdomain name (lowercase letters, digits, "-", ".")'],
    ['container', DNS_LABEL, 63, 'a DNS label (lowercase letters, digits, "-")'],
  ] as const;
  const values: Record<string, string> = {};
  for (const [name, re, max, what] of names) {
    const v = params.get(name);
    if (v === null || v === '') return { ok: false, param: name, message: `query parameter "${name}" is required` };
    if (v.length > max || !re.test(v)) return { ok: false, param: name, message: `query parameter "${name}" must be ${what} of at most ${max} characters` };
    values[name] = v;
  }
  let tail = DEFAULT_LOG_TAIL;
  const t = params.get('tail');
  if (t !== null) {
    if (!/^\d{1,7}$/.test(t) || Number(t) > MAX_LOG_TAIL) return { ok: false, param: 'tail', message: `query parameter "tail" must be a whole number from 0 to ${MAX_LOG_TAIL}` };
    tail = Number(t);
  }
  return { ok: true, query: { namespace: values.namespace!, host: values.host!, container: values.container!, tail } };
}

/**
 * Cross-site WebSocket hijacking guard: a browser always sends Origin on a WebSocket handshake, and
 * cookies ride along whatever page opened it. Same host:port as the Host header → allowed; another →
 * refused. No Origin (not a browser: curl, tests, tools) → allowed, they carry no ambient cookie.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  let u: URL;
  try { u = new URL(origin); } catch { return false; }   // includes "null" (sandboxed frames, file://)
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  const defaultPort = u.protocol === 'https:' ? '443' : '80';
  const norm = (h: string) => h.toLowerCase().replace(new RegExp(`:${defaultPort}$`), '');
  return norm(u.host) === norm(host);
}
