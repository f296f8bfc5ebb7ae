// `berth exec` on the agent: a process in one of this host's managed containers, through Docker's
// exec API (create + hijacked start; a TTY gives one raw stream, otherwise stdout/stderr come
// multiplexed and are split with the log demuxer), resized on request, its exit code read from
// exec inspect. Off unless the machine's owner started the agent with --allow-exec: the
// ContainerHost's author or the controller cannot turn it on (the agent's ceiling, DESIGN §3).
//
// Flow control (protocol/exec.ts): at most EXEC_WINDOW_BYTES of output are sent and not yet
// credited by the controller; past that the Docker stream is paused, so the process blocks on its
// writes and nothing piles up here. Stdin is credited back once Docker's socket took it.
import Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import { silentLogger, type AgentLogger as Logger } from './logger.js';
import { LABELS } from '../protocol/container.js';
import { EXEC_CHUNK_BYTES, EXEC_WINDOW_BYTES } from '../protocol/exec.js';
import type { AgentFrame, ExecCancelFrame, ExecCreditFrame, ExecInputFrame, ExecResizeFrame, ExecStartFrame } from '../protocol/frames.js';
import { dockerMessage, orUndefinedOn404 } from './docker-errors.js';
import { DockerDemuxer } from './log-demux.js';
import { errorMessage } from './runtime.js';

/** Where exec frames go (the AgentClient holds one; closeAll when its connection goes). */
export interface ExecSessions {
  start(frame: ExecStartFrame, send: (frame: AgentFrame) => void): void;
  input(frame: ExecInputFrame): void;
  resize(frame: ExecResizeFrame): void;
  credit(frame: ExecCreditFrame): void;
  cancel(frame: ExecCancelFrame): void;
  closeAll(): void;
}

export const EXEC_DISABLED_MESSAGE = 'exec is disabled on this agent: the machine\'s owner must start `berth agent` with --allow-exec to allow it';

/** For runtimes without exec (simulated agents) and agents started without --allow-exec. */
export class RefusedExecs implements ExecSessions {
  constructor(private readonly code = 'ExecDisabled', private readonly message = EXEC_DISABLED_MESSAGE) {}
  start(frame: ExecStartFrame, send: (frame: AgentFrame) => void): void {
    send({ type: 'execEnd', id: frame.id, error: { code: this.code, message: this.message } });
  }
  input(): void { /* nothing runs */ }
  resize(): void { /* nothing runs */ }
  credit(): void { /* nothing runs */ }
  cancel(): void { /* nothing runs */ }
  closeAll(): void { /* nothing runs */ }
}

export interface DockerExecsOptions {
  /** "<namespace>/<name>": only containers labelled for this host are exec'd into. */
  hostKey: string;
  docker?: Docker;
  log?: Logger;
  /** Concurrent execs on one connection (default 32); more are refused. */
  maxSessions?: number;
}

export class DockerExecs implements ExecSessions {
  private readonly docker: Docker;
  private readonly log: Logger;
  private readonly sessions = new Map<string, ExecSession>();

  constructor(private readonly opts: DockerExecsOptions) {
    this.docker = opts.docker ?? new Docker();
    this.log = (opts.log ?? silentLogger).child({ component: 'exec' });
  }

  get size(): number { return this.sessions.size; }

  start(frame: ExecStartFrame, send: (frame: AgentFrame) => void): void {
    const fail = (code: string, message: string) => send({ type: 'execEnd', id: frame.id, error: { code, message } });
    if (this.sessions.has(frame.id)) return fail('DuplicateId', `exec ${frame.id} is already running`);
    if (this.sessions.size >= (this.opts.maxSessions ?? 32)) return fail('TooManyExecs', `too many execs on this agent (${this.sessions.size})`);
    const s = new ExecSession(frame, send, this.docker, this.opts.hostKey, this.log, () => {
      if (this.sessions.get(frame.id) === s) this.sessions.delete(frame.id);
    });
    this.sessions.set(frame.id, s);
    s.run().catch((err: unknown) => s.end({ error: { code: 'Internal', message: `exec failed: ${errorMessage(err)}` } }));
  }

  input(frame: ExecInputFrame): void { this.sessions.get(frame.id)?.input(frame); }
  resize(frame: ExecResizeFrame): void { this.sessions.get(frame.id)?.resize(frame.rows, frame.cols); }
  credit(frame: ExecCreditFrame): void { this.sessions.get(frame.id)?.credit(frame.bytes); }
  cancel(frame: ExecCancelFrame): void { this.sessions.get(frame.id)?.stop('cancelled by the controller'); }
  closeAll(): void { for (const s of [...this.sessions.values()]) s.stop('the controller connection closed'); }
}

class ExecSession {
  private stream: Duplex | undefined;
  private exec: Docker.Exec | undefined;
  private done = false;
  /** Output bytes sent and not yet credited by the controller. */
  private outstanding = 0;
  private paused = false;
  private readonly demux = new DockerDemuxer();
  /** Input that arrived before the stream was open (bounded by the controller's window). */
  private early: ExecInputFrame[] = [];

  constructor(
    private readonly frame: ExecStartFrame,
    private readonly send: (frame: AgentFrame) => void,
    private readonly docker: Docker,
    private readonly hostKey: string,
    private readonly log: Logger,
    private readonly onDone: () => void,
  ) {}

  async run(): Promise<void> {
    const { container: name, cmd, tty, stdin } = this.frame;
    const info = await orUndefinedOn404(() => this.docker.getContainer(name).inspect()).catch((err: unknown) => {
      this.end({ error: { code: 'DockerError', message: `Docker refused to inspect ${name}: ${dockerMessage(err)}` } });
      return null;
    });
    if (info === null || this.done) return;
    if (!info || info.Name.replace(/^\//, '') !== name) return this.end({ error: { code: 'NotFound', message: `container ${name} does not exist on this host` } });
    const labels = info.Config.Labels ?? {};
    if (labels[LABELS.managed] !== 'true' || labels[LABELS.host] !== this.hostKey) {
      return this.end({ error: { code: 'NotManaged', message: `container ${name} is not managed by Berth for this host; exec refused` } });
    }
    if (!info.State.Running) return this.end({ error: { code: 'NotRunning', message: `container ${name} is not running (${info.State.Status})` } });
    const size: Docker.ExecCreateOptions = this.frame.rows && this.frame.cols ? { ConsoleSize: [this.frame.rows, this.frame.cols] } : {};
    // By ID: the name could be taken over by a new container between inspect and here.
    const exec = await this.docker.getContainer(info.Id).exec({ Cmd: cmd, AttachStdin: stdin, AttachStdout: true, AttachStderr: true, Tty: tty, ...size });
    this.exec = exec;
    const stream = await exec.start({ hijack: true, stdin, Tty: tty }) as unknown as Duplex;
    if (this.done) { stream.destroy(); return; }
    this.stream = stream;
    // ConsoleSize at create is not applied by every engine version; the Docker CLI resizes after start too.
    if (tty && this.frame.rows && this.frame.cols) this.resize(this.frame.rows, this.frame.cols);
    this.log.info({ id: this.frame.id, container: name, tty, stdin, argv0: cmd[0] }, 'exec started');
    stream.on('data', (chunk: Buffer) => {
      try { this.output(chunk); } catch (err) { this.end({ error: { code: 'DockerError', message: `unreadable exec stream: ${errorMessage(err)}` } }); }
    });
    stream.once('error', (err) => this.log.debug({ id: this.frame.id, err: err.message }, 'exec stream error'));
    stream.once('close', () => { void this.finish(); });
    stream.once('end', () => { void this.finish(); });
    for (const f of this.early) this.input(f);
    this.early = [];
  }

  private output(chunk: Buffer): void {
    if (this.done) return;
    if (this.frame.tty) this.emit('out', chunk);
    else for (const f of this.demux.push(chunk)) this.emit(f.s, f.payload);
    if (this.outstanding >= EXEC_WINDOW_BYTES && !this.paused) { this.paused = true; this.stream?.pause(); }
  }

  private emit(stream: 'out' | 'err', data: Buffer): void {
    for (let at = 0; at < data.length; at += EXEC_CHUNK_BYTES) {
      const piece = data.subarray(at, at + EXEC_CHUNK_BYTES);
      this.outstanding += piece.length;
      this.send({ type: 'execOutput', id: this.frame.id, stream, data: piece.toString('base64') });
    }
  }

  credit(bytes: number): void {
    this.outstanding = Math.max(0, this.outstanding - bytes);
    if (this.paused && this.outstanding < EXEC_WINDOW_BYTES) { this.paused = false; this.stream?.resume(); }
  }

  input(frame: ExecInputFrame): void {
    if (this.done || !this.frame.stdin) return;
    const stream = this.stream;
    if (!stream) { this.early.push(frame); return; }
    if (frame.data) {
      const buf = Buffer.from(frame.data, 'base64');
      stream.write(buf, () => { if (!this.done) this.send({ type: 'execCredit', id: this.frame.id, bytes: Math.max(1, buf.length) }); });
    }
    if (frame.eof) stream.end();
  }

  resize(rows: number, cols: number): void {
    if (!this.exec || !this.frame.tty || this.done) return;
    this.exec.resize({ h: rows, w: cols }).catch((err: unknown) => this.log.debug({ id: this.frame.id, err: errorMessage(err) }, 'exec resize failed'));
  }

  /** Stop quietly (cancel, connection gone): no execEnd. Docker has no exec kill: the process gets EOF/SIGHUP. */
  stop(why: string): void {
    if (this.done) return;
    this.done = true;
    this.log.info({ id: this.frame.id, container: this.frame.container, why }, 'exec stopped');
    this.stream?.destroy();
    this.onDone();
  }

  /** The stream closed: the exit code comes from exec inspect (it may lag the stream by a moment). */
  private async finish(): Promise<void> {
    if (this.done || !this.exec) return;
    const exec = this.exec;
    this.exec = undefined;
    for (let i = 0; i < 50; i++) {
      try {
        const r = await exec.inspect();
        if (!r.Running && r.ExitCode !== null) return this.end({ exitCode: r.ExitCode });
      } catch (err) {
        return this.end({ error: { code: 'DockerError', message: `could not read the exit code: ${dockerMessage(err)}` } });
      }
      await new Promise((r) => setTimeout(r, 20 + i * 10));
    }
    this.end({ error: { code: 'Unknown', message: 'the exec stream closed but Docker still reports the process running' } });
  }

  end(result: { exitCode?: number; error?: { code: string; message: string } }): void {
    if (this.done) return;
    this.done = true;
    this.stream?.destroy();
    this.log.info({ id: this.frame.id, container: this.frame.container, ...result }, 'exec ended');
    this.send({ type: 'execEnd', id: this.frame.id, ...(result.exitCode !== undefined ? { exitCode: result.exitCode } : {}), ...(result.error ? { error: { code: result.error.code.slice(0, 64), message: result.error.message.slice(0, 8192) } } : {}) });
    this.onDone();
  }
}
