// Where `logs`/`logsCancel` frames go. The real streamer (docker-logs.ts, DockerLogStreams) reads
// Docker's log stream; `UnsupportedLogStreams` is for runtimes without logs (simulated agents in
// benchmarks, unit tests): it answers every `logs` request with an `error` frame (code
// `unsupported`, id = the stream) and a `logEnd`, so the controller can tell its viewers at once
// instead of waiting.
import type { AgentFrame, LogsCancelFrame, LogsFrame } from '../protocol/frames.js';

/** How full the connection is, so a streamer can stop reading while the socket is backed up. */
export interface LogFlow {
  /** Bytes queued on the socket but not yet handed to the kernel (ws `bufferedAmount`). */
  bufferedAmount(): number;
}

export interface LogStreams {
  /**
   * Start streaming FRAME.name's logs as `log` frames through SEND, ending with `logEnd` (unless
   * cancelled). FLOW, when given, is watched for backpressure.
   */
  open(frame: LogsFrame, send: (frame: AgentFrame) => void, flow?: LogFlow): void;
  /** Stop a stream the controller no longer wants; no `logEnd` follows. Unknown streams are ignored. */
  cancel(frame: LogsCancelFrame): void;
  /** The connection is gone: stop every stream (the controller re-requests after reconnecting). */
  closeAll(): void;
}

export class UnsupportedLogStreams implements LogStreams {
  open(frame: LogsFrame, send: (frame: AgentFrame) => void): void {
    const message = `this agent does not stream logs (stream ${frame.stream}, container ${frame.name})`;
    send({ type: 'error', id: frame.stream, code: 'unsupported', message });
    send({ type: 'logEnd', stream: frame.stream, reason: message });
  }
  cancel(): void { /* nothing is ever open */ }
  closeAll(): void { /* nothing is ever open */ }
}
