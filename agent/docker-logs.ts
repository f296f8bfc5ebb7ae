// The log streamer on a real Docker Engine (DESIGN §3 "Logs"): for each `logs` request, follow the
// container's log (`timestamps=true`), demultiplex stdout/stderr frames (or read a TTY container's
// raw stream), split lines, batch them into `log` frames, and stop reading from Docker while the
// controller connection is backed up — the engine then simply waits; the container is never slowed,
// since its output goes to the log driver, not to us. Only containers Berth manages for this host
// are streamed: the controller cannot read anyone else's logs through an agent.
import Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { silentLogger, type AgentLogger as Logger } from './logger.js';
import { LABELS } from '../protocol/container.js';
import type { AgentFrame, LogEntry, LogsCancelFrame, LogsFrame } from '../protocol/frames.js';
import { dockerSince } from '../protocol/log-time.js';
import { LogBatcher, MAX_BATCH_BYTES, MAX_BATCH_DELAY_MS, MIN_FRAME_INTERVAL_MS } from './log-batcher.js';
import { DemuxError, DockerDemuxer } from './log-demux.js';
import { LineSplitter, MAX_LINE_CHARS } from './log-lines.js';
import type { LogFlow, LogStreams } from './log-streams.js';
import { dockerMessage, isUnavailable, orUndefinedOn404 } from './docker-errors.js';
import { errorMessage } from './runtime.js';

export interface DockerLogStreamsOptions {
  /** "<namespace>/<name>": only containers labelled for this host are streamed. */
  hostKey: string;
  /** Default: `new Docker()` (DOCKER_HOST is honoured). */
  docker?: Docker;
  log?: Logger;
  /** Pause reading from Docker while the socket holds more than this (default 1 MiB)… */
  highWaterBytes?: number;
  /** …and resume once it holds less than this (default 256 KiB). */
  lowWaterBytes?: number;
  /** How often a paused stream looks at the socket again (default 10 ms). */
  pollMs?: number;
  batchDelayMs?: number;
  /** Least time between two frames of one stream while the socket is idle (default 5 ms). */
  minFrameIntervalMs?: number;
  batchBytes?: number;
  maxLineChars?: number;
  /** Concurrent streams on one connection (default 256); more are refused with `logEnd`. */
  maxStreams?: number;
}

export interface DockerLogStats { opened: number; ended: number; cancelled: number; pauses: number; lines: number; frames: number }

export class DockerLogStreams implements LogStreams {
  readonly stats: DockerLogStats = { opened: 0, ended: 0, cancelled: 0, pauses: 0, lines: 0, frames: 0 };
  private readonly docker: Docker;
  private readonly log: Logger;
  private readonly streams = new Map<string, LogStream>();

  constructor(private readonly opts: DockerLogStreamsOptions) {
    this.docker = opts.docker ?? new Docker();
    this.log = (opts.log ?? silentLogger).child({ component: 'logs' });
  }

  /** Streams open now. */
  get size(): number { return this.streams.size; }

  open(frame: LogsFrame, send: (frame: AgentFrame) => void, flow?: LogFlow): void {
    // The same id again replaces the old stream (the controller never does this on purpose).
    this.streams.get(frame.stream)?.stop();
    if (this.streams.size >= (this.opts.maxStreams ?? 256)) {
      send({ type: 'logEnd', stream: frame.stream, reason: `too many log streams on this agent (${this.streams.size})` });
      return;
    }
    const s = new LogStream(frame, send, flow, this.docker, this.opts, this.log, this.stats, () => {
      if (this.streams.get(frame.stream) === s) this.streams.delete(frame.stream);
    });
    this.streams.set(frame.stream, s);
    this.stats.opened++;
    // Nothing may escape into an unhandled rejection (that would end the agent): a bug ends the stream.
    s.run().catch((err: unknown) => s.fail(`log stream failed: ${errorMessage(err)}`));
  }

  cancel(frame: LogsCancelFrame): void {
    const s = this.streams.get(frame.stream);
    if (!s) return;
    this.stats.cancelled++;
    s.stop();
  }

  closeAll(): void {
    for (const s of [...this.streams.values()]) s.stop();
    this.streams.clear();
  }
}

/** One `logs` request: from inspect to `logEnd`. */
class LogStream {
  private stopped = false;
  private readonly abort = new AbortController();
  private source: Readable | undefined;
  private readonly batcher: LogBatcher;
  private batchTimer: NodeJS.Timeout | undefined;
  private batchImmediate: NodeJS.Immediate | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = -Infinity;
  private readonly out: LineSplitter;
  private readonly err: LineSplitter;
  private readonly demux = new DockerDemuxer();

  constructor(
    private readonly frame: LogsFrame,
    private readonly send: (frame: AgentFrame) => void,
    private readonly flow: LogFlow | undefined,
    private readonly docker: Docker,
    private readonly opts: DockerLogStreamsOptions,
    private readonly log: Logger,
    private readonly stats: DockerLogStats,
    private readonly onDone: () => void,
  ) {
    this.batcher = new LogBatcher(opts.batchBytes ?? MAX_BATCH_BYTES);
    this.out = new LineSplitter('out', opts.maxLineChars ?? MAX_LINE_CHARS);
    this.err = new LineSplitter('err', opts.maxLineChars ?? MAX_LINE_CHARS);
  }

  /** Cancelled or the connection went away: stop quietly (no logEnd). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.abort.abort();
    this.source?.destroy();
    this.cancelFlush();
    clearInterval(this.pollTimer);
    this.onDone();
  }

  private cancelFlush(): void {
    clearTimeout(this.batchTimer);
    clearImmediate(this.batchImmediate);
    this.batchTimer = undefined;
    this.batchImmediate = undefined;
  }

  async run(): Promise<void> {
    const { name, stream: id } = this.frame;
    let since: string | undefined;
    if (this.frame.since !== undefined) {
      since = dockerSince(this.frame.since);
      if (!since) return this.end(`invalid since "${this.frame.since.slice(0, 64)}": expected an RFC 3339 time`);
    }
    let info: Docker.ContainerInspectInfo | undefined;
    try {
      info = await orUndefinedOn404(() => this.docker.getContainer(name).inspect());
    } catch (err) {
      return this.end(this.dockerFailure(err));
    }
    if (this.stopped) return;
    if (!info || info.Name.replace(/^\//, '') !== name) return this.end(`container ${name} does not exist (yet)`);
    const labels = info.Config.Labels ?? {};
    if (labels[LABELS.managed] !== 'true' || labels[LABELS.host] !== this.opts.hostKey) {
      return this.end(`container ${name} is not managed by Berth for this host; its logs are not streamed`);
    }
    const tty = info.Config.Tty === true;
    const query = {
      stdout: true, stderr: true, timestamps: true, tail: this.frame.tail,
      ...(since ? { since } : {}), abortSignal: this.abort.signal,
    };
    let source: Readable | Buffer;
    try {
      // By ID: the name could be taken over by a new container between inspect and here.
      const c = this.docker.getContainer(info.Id);
      source = this.frame.follow
        ? await c.logs({ ...query, follow: true }) as unknown as Readable
        : await c.logs({ ...query, follow: false });
    } catch (err) {
      if (this.stopped) return;
      return this.end(this.dockerFailure(err));
    }
    if (this.stopped) { if (!Buffer.isBuffer(source)) source.destroy(); return; }
    this.log.debug({ stream: id, container: name, tty, tail: this.frame.tail, since: this.frame.since }, 'log stream open');

    if (Buffer.isBuffer(source)) {
      this.onChunk(source, tty);
      return this.finish(tty, undefined);
    }
    this.source = source;
    let failure: string | undefined;
    source.on('data', (chunk: Buffer) => {
      try { this.onChunk(chunk, tty); } catch (err) {
        failure = err instanceof DemuxError ? `unreadable log stream from Docker: ${err.message}` : `log stream failed: ${errorMessage(err)}`;
        source.destroy();
      }
    });
    source.once('error', (err) => { failure ??= this.dockerFailure(err); });
    source.once('close', () => { this.finish(tty, failure).catch((err: unknown) => this.fail(`log stream failed: ${errorMessage(err)}`)); });
  }

  private onChunk(chunk: Buffer, tty: boolean): void {
    if (this.stopped) return;
    if (tty) this.addAll(this.out.pushRaw(chunk));
    else for (const f of this.demux.push(chunk)) this.addAll((f.s === 'out' ? this.out : this.err).pushMessage(f.payload));
  }

  private addAll(entries: LogEntry[]): void {
    for (const e of entries) {
      const full = this.batcher.add(e);
      if (full) this.flush(full);
    }
    if (this.batcher.size === 0 || this.batchTimer || this.batchImmediate) return;
    // Nagle-like: while the socket is idle, a batch goes out as soon as the chunks Docker already
    // handed over are split — but at most one frame per MIN_FRAME_INTERVAL_MS, so a busy stream
    // still sends fewer, larger frames (per-frame costs dominate otherwise). While the socket holds
    // data, lines gather for up to 50 ms.
    const take = () => { this.batchTimer = undefined; this.batchImmediate = undefined; this.flush(this.batcher.take()); };
    if ((this.flow?.bufferedAmount() ?? 0) > 0) {
      this.batchTimer = setTimeout(take, this.opts.batchDelayMs ?? MAX_BATCH_DELAY_MS);
      return;
    }
    const wait = this.lastFlushAt + (this.opts.minFrameIntervalMs ?? MIN_FRAME_INTERVAL_MS) - performance.now();
    if (wait <= 0) this.batchImmediate = setImmediate(take);
    else this.batchTimer = setTimeout(take, wait);
  }

  private flush(entries: LogEntry[] | undefined): void {
    if (!entries || this.stopped) return;
    this.lastFlushAt = performance.now();
    this.stats.lines += entries.length;
    this.stats.frames++;
    this.send({ type: 'log', stream: this.frame.stream, entries });
    this.applyBackpressure();
  }

  /** The socket is backed up: stop reading from Docker until it has drained below the low mark. */
  private applyBackpressure(): void {
    const flow = this.flow;
    const source = this.source;
    if (!flow || !source || this.pollTimer || flow.bufferedAmount() <= (this.opts.highWaterBytes ?? 1024 * 1024)) return;
    source.pause();
    this.stats.pauses++;
    this.pollTimer = setInterval(() => {
      if (this.stopped) return;
      if (flow.bufferedAmount() > (this.opts.lowWaterBytes ?? 256 * 1024)) return;
      clearInterval(this.pollTimer);
      this.pollTimer = undefined;
      source.resume();
    }, this.opts.pollMs ?? 10);
  }

  private async finish(tty: boolean, failure: string | undefined): Promise<void> {
    if (this.stopped) return;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    this.addAll([...this.out.end(), ...(tty ? [] : this.err.end())]);
    this.cancelFlush();
    this.flush(this.batcher.take());
    if (!failure && this.demux.buffered > 0) failure = `the Docker log stream ended inside a frame (${this.demux.buffered} bytes left)`;
    await this.end(failure ?? await this.whyEnded());
  }

  /** After Docker closed a follow stream: say what became of the container. */
  private async whyEnded(): Promise<string> {
    if (!this.frame.follow) return 'end of the log (not following)';
    try {
      const info = await orUndefinedOn404(() => this.docker.getContainer(this.frame.name).inspect());
      if (!info) return `container ${this.frame.name} was removed`;
      if (!info.State.Running) return `container ${this.frame.name} is not running (${info.State.Status}${info.State.Status === 'exited' ? `, exit code ${info.State.ExitCode}` : ''})`;
      return `Docker ended the log stream of container ${this.frame.name}`;
    } catch (err) {
      return this.dockerFailure(err);
    }
  }

  /** End with REASON after an unexpected error (idempotent). */
  fail(reason: string): void {
    this.source?.destroy();
    this.cancelFlush();
    clearInterval(this.pollTimer);
    this.end(reason);
  }

  private dockerFailure(err: unknown): string {
    return isUnavailable(err) ? `Docker unavailable: ${dockerMessage(err)}` : `Docker refused the log request: ${dockerMessage(err)}`;
  }

  private end(reason: string): void {
    if (this.stopped) return;
    this.stats.ended++;
    this.log.debug({ stream: this.frame.stream, container: this.frame.name, reason }, 'log stream ended');
    this.send({ type: 'logEnd', stream: this.frame.stream, reason: reason.slice(0, 1024) });
    this.stopped = true;
    this.onDone();
  }
}
