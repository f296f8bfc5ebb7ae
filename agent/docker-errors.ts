// Turning dockerode's errors into RuntimeErrors with messages an operator can act on. dockerode
// rejects with "(HTTP code 404) no such container - No such container: web"; the engine's own
// sentence is in err.json.message. A socket that is missing or refuses means Docker is unavailable.
import { RuntimeError, errorMessage } from './runtime.js';

interface DockerodeError { statusCode?: number; code?: string; reason?: string; json?: unknown }

const UNAVAILABLE_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

export function statusOf(err: unknown): number | undefined {
  const s = (err as DockerodeError | undefined)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** Whether ERR means the engine could not be reached at all (as opposed to refusing a request). */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof RuntimeError) return err.code === 'DockerUnavailable';
  const e = err as DockerodeError | undefined;
  if (statusOf(err) !== undefined) return false;
  return (typeof e?.code === 'string' && UNAVAILABLE_CODES.has(e.code)) || /socket hang up/i.test(errorMessage(err));
}

/** The engine's own message for ERR, without dockerode's "(HTTP code N) reason -" prefix. */
export function dockerMessage(err: unknown): string {
  const json = (err as DockerodeError | undefined)?.json;
  if (json && typeof json === 'object' && typeof (json as { message?: unknown }).message === 'string') return (json as { message: string }).message.trim();
  if (typeof json === 'string' && json.trim()) return json.trim();
  if (Buffer.isBuffer(json) && json.length) return json.toString('utf8').trim();
  // Streaming endpoints (pull, events) leave json null and put the engine's sentence in the message.
  return errorMessage(err).replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/** ERR as a RuntimeError; WHAT says which step failed ("creating container web"). */
export function toRuntimeError(err: unknown, what: string): RuntimeError {
  if (err instanceof RuntimeError) return err;
  if (isUnavailable(err)) return new RuntimeError('DockerUnavailable', `Docker is unavailable (${what}): ${dockerMessage(err)}`, { cause: err });
  return new RuntimeError('DockerError', `${what} failed: ${dockerMessage(err)}`, { cause: err });
}

/** Run FN; a 404 from the engine becomes undefined (inspect of something that may not exist). */
export async function orUndefinedOn404<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try { return await fn(); } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Run FN; a 304 (already started/stopped) or 404 (already gone) is success. */
export async function ignoring(statuses: number[], fn: () => Promise<unknown>): Promise<void> {
  try { await fn(); } catch (err) {
    const s = statusOf(err);
    if (s === undefined || !statuses.includes(s)) throw err;
  }
}
