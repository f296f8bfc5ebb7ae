// Getting the image per imagePullPolicy. A failed pull does NOT reject dockerode's promise: the
// engine answers 200 and reports the failure as an `error`/`errorDetail` object inside the progress
// stream, so the stream is read to its end and checked. A pull is bounded by a deadline so a
// registry that never answers cannot wedge the container's queue forever.
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { PullAuth, PullPolicy } from '../protocol/container.js';
import { dockerMessage, isUnavailable, orUndefinedOn404 } from './docker-errors.js';
import { toAuthConfig } from './docker-options.js';
import { NdjsonSplitter } from './ndjson.js';
import { RuntimeError } from './runtime.js';

export interface EnsureImageOptions {
  policy: PullPolicy;
  auth?: PullAuth;
  timeoutMs: number;
}

export async function imagePresent(docker: Docker, ref: string): Promise<boolean> {
  return (await orUndefinedOn404(() => docker.getImage(ref).inspect())) !== undefined;
}

/** Pull REF if POLICY says so; rejects with ImageNotPresent, PullFailed or DockerUnavailable. */
export async function ensureImage(docker: Docker, ref: string, opts: EnsureImageOptions): Promise<void> {
  if (opts.policy !== 'Always') {
    if (await imagePresent(docker, ref)) return;
    if (opts.policy === 'Never') {
      throw new RuntimeError('ImageNotPresent', `image "${ref}" is not present on this host and imagePullPolicy is Never`);
    }
  }
  await pull(docker, ref, opts.auth, opts.timeoutMs);
}

/** The first error the progress stream reports, if any. */
export function progressError(event: unknown): string | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const e = event as { error?: unknown; errorDetail?: { message?: unknown } };
  if (typeof e.errorDetail?.message === 'string' && e.errorDetail.message) return e.errorDetail.message;
  if (typeof e.error === 'string' && e.error) return e.error;
  return undefined;
}

async function pull(docker: Docker, ref: string, auth: PullAuth | undefined, timeoutMs: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const fail = (why: string, cause?: unknown) =>
    new RuntimeError('PullFailed', `pulling image "${ref}"${auth ? ` (as ${auth.username ?? 'token'} at ${auth.serveraddress})` : ''} failed: ${why}`, { cause });
  try {
    let stream: Readable;
    try {
      const opts: Record<string, unknown> = { abortSignal: abort.signal };
      if (auth) opts.authconfig = toAuthConfig(auth);
      stream = await docker.pull(ref, opts) as Readable;
    } catch (err) {
      if (abort.signal.aborted) throw fail(`no answer within ${Math.round(timeoutMs / 1000)} s`, err);
      if (isUnavailable(err)) throw new RuntimeError('DockerUnavailable', `Docker is unavailable (pulling "${ref}"): ${dockerMessage(err)}`, { cause: err });
      throw fail(dockerMessage(err), err);   // e.g. the engine refused at once (bad reference, auth)
    }
    const error = await followPull(stream);
    if (abort.signal.aborted) throw fail(`no progress within ${Math.round(timeoutMs / 1000)} s`);
    if (error) throw fail(error);
  } finally {
    clearTimeout(timer);
  }
  // A stream that broke off without an error line must not pass for a finished pull.
  if (!(await imagePresent(docker, ref))) throw fail('the engine ended the pull without the image');
}

/** Read the progress stream to its end; resolves with the first error it reported (or the stream's). */
function followPull(stream: Readable): Promise<string | undefined> {
  return new Promise((resolve) => {
    const splitter = new NdjsonSplitter();
    let error: string | undefined;
    let done = false;
    const take = (items: ReturnType<NdjsonSplitter['push']>) => {
      for (const item of items) if (item.ok) error ??= progressError(item.value);
    };
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      take(splitter.end());
      resolve(error ?? (err ? err.message : undefined));
    };
    stream.on('data', (chunk: Buffer) => take(splitter.push(chunk)));
    stream.on('error', (err: Error) => finish(err));
    stream.once('end', () => finish());
    stream.once('close', () => finish());
  });
}
