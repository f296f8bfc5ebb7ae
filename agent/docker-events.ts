// Following the engine's event stream. The stream ends whenever dockerd restarts (or the socket
// breaks); the watcher then re-subscribes with `since` = the last event's time, so events that
// happened while re-connecting are replayed, and with backoff, so a daemon that stays down is not
// hammered. Each (re)subscription also reports a change: while the watcher was blind anything may
// have happened, and that is also how the agent notices Docker coming back.
// The engine specifics are behind `subscribe`, so the loop is tested with a fake stream.
import type { Readable } from 'node:stream';
import { Backoff } from '../protocol/backoff.js';
import { debounce } from './debounce.js';
import { NdjsonSplitter } from './ndjson.js';
import { errorMessage, type Watch } from './runtime.js';

export interface EventWatcherOptions {
  /** Open the event stream; SINCE is a Docker timestamp ("seconds.nanoseconds") or undefined. */
  subscribe(since: string | undefined, signal: AbortSignal): Promise<Readable>;
  onChange(): void;
  /** Called with a line describing why the stream broke (for the log). */
  onError?(message: string): void;
  debounceMs?: number;
  backoff?: Backoff;
}

interface DockerEvent { time?: number; timeNano?: number }

/** Docker's `since` for an event: nanosecond precision when the event has it. */
export function sinceOf(e: DockerEvent): string | undefined {
  if (typeof e.timeNano === 'number' && e.timeNano > 0) {
    const ns = BigInt(Math.trunc(e.timeNano));
    return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  }
  return typeof e.time === 'number' ? String(e.time) : undefined;
}

export function watchEvents(opts: EventWatcherOptions): Watch {
  const abort = new AbortController();
  const backoff = opts.backoff ?? new Backoff();
  const changed = debounce(opts.onChange, opts.debounceMs ?? 250);
  let since: string | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    wake = () => { clearTimeout(t); resolve(); };
  });

  const consume = (stream: Readable) => new Promise<void>((resolve) => {
    const splitter = new NdjsonSplitter();
    const handle = (items: ReturnType<NdjsonSplitter['push']>) => {
      for (const item of items) {
        if (!item.ok) { opts.onError?.(`unreadable Docker event: ${item.error}`); continue; }
        since = sinceOf(item.value as DockerEvent) ?? since;
        changed.trigger();
      }
    };
    let finished = false;
    const done = (err?: Error) => {
      if (finished) return;
      finished = true;
      stream.removeAllListeners('data');
      handle(splitter.end());
      if (err && !abort.signal.aborted) opts.onError?.(`Docker event stream failed: ${err.message}`);
      resolve();
    };
    stream.on('data', (chunk: Buffer) => handle(splitter.push(chunk)));
    stream.once('end', () => done());
    stream.once('close', () => done());
    stream.on('error', (err: Error) => done(err));   // `on`: a second error after done must not crash
  });

  void (async () => {
    while (!abort.signal.aborted) {
      try {
        const stream = await opts.subscribe(since, abort.signal);
        if (abort.signal.aborted) { stream.destroy(); break; }
        const stop = () => stream.destroy();
        abort.signal.addEventListener('abort', stop, { once: true });
        backoff.connected();
        changed.trigger();
        await consume(stream);
        abort.signal.removeEventListener('abort', stop);
        backoff.disconnected();
        if (!abort.signal.aborted) opts.onError?.('Docker event stream ended (dockerd restarted?); re-subscribing');
      } catch (err) {
        if (!abort.signal.aborted) opts.onError?.(`cannot subscribe to Docker events: ${errorMessage(err)}`);
      }
      if (abort.signal.aborted) break;
      await sleep(backoff.next());
    }
  })();

  return {
    close() { abort.abort(); changed.cancel(); wake?.(); },
  };
}
