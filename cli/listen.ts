import { UsageError } from './usage.js';

/** "127.0.0.1:7070", ":7070" (all addresses), "[::1]:7070" → host and port. */
export function parseListen(text: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`${flag} must be HOST:PORT, :PORT or [IPv6]:PORT, not "${text}"`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];
export function checkLogLevel(level: string): string {
  if (!LOG_LEVELS.includes(level)) throw new UsageError(`unknown log level "${level}" (one of ${LOG_LEVELS.join(', ')})`);
  return level;
}

/** Loopback only: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}
