// Where `logs`/`logsCancel` frames go. Log streaming (Docker's multiplexed stdout/stderr, line
// splitting, batching, backpressure — DESIGN §3 "Logs") is its own issue; until then the agent
// answers every `logs` request with an `error` frame (code `unsupported`, id = the stream) and a
// `logEnd`, so the controller can end its subscribers' streams at once instead of waiting.
// The real streamer implements the same interface and is passed to AgentClient.
import type { AgentFrame, LogsCancelFrame, LogsFrame } from '../protocol/frames.js';

export interface LogStreams {
  /** Start streaming FRAME.name's logs as `log` frames through SEND, ending with `logEnd`. */
  open(frame: LogsFrame, send: (frame: AgentFrame) => void): void;
  cancel(frame: LogsCancelFrame): void;
  /** The connection is gone: stop every stream (the controller re-requests after reconnecting). */
  closeAll(): void;
}

export class UnsupportedLogStreams implements LogStreams {
  open(frame: LogsFrame, send: (frame: AgentFrame) => void): void {
    const message = `this agent does not stream logs yet (stream ${frame.stream}, container ${frame.name})`;
    send({ type: 'error', id: frame.stream, code: 'unsupported', message });
    send({ type: 'logEnd', stream: frame.stream, reason: message });
  }
  cancel(): void { /* nothing is ever open */ }
  closeAll(): void { /* nothing is ever open */ }
}
