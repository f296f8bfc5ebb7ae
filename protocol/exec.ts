// `berth exec`: the limits both hops share, and the operator's socket to the controller.
//
// Two hops, each with its own framing:
//  - controller ↔ agent: JSON text frames on the agent's one connection (frames.ts: execStart,
//    execInput, execResize, execCancel, execOutput, execEnd, execCredit), multiplexed by exec id,
//    data base64 — the agent socket stays JSON-only, validated by the same decoder as every frame.
//  - CLI ↔ controller (EXEC_WS_PATH): a WebSocket of its own per exec. Binary messages carry bytes,
//    the first byte naming the stream (as Kubernetes' channel.k8s.io does): 0 stdin (CLI → controller),
//    1 stdout, 2 stderr (controller → CLI). Text messages are the JSON control messages below.
//
// Flow control is a credit window per exec and direction: a sender may have at most
// EXEC_WINDOW_BYTES (decoded) that the receiver has not yet credited back with `execCredit`. The
// controller credits the agent's output only once the CLI's socket has drained, so a slow terminal
// stops the agent reading from Docker (and the process blocks on write) instead of filling the
// controller's memory; the agent credits stdin once Docker took it.

/** Raw bytes per execOutput/execInput frame (base64 makes ~85 KiB of it, far below MAX_FRAME_BYTES). */
export const EXEC_CHUNK_BYTES = 64 * 1024;
/** Bytes in flight per exec and direction before the sender must wait for credit. */
export const EXEC_WINDOW_BYTES = 1024 * 1024;

export const EXEC_WS_PATH = '/api/v1/exec';

/** Stream bytes on the CLI socket: the first byte of a binary message. */
export const EXEC_CHANNEL = { stdin: 0, stdout: 1, stderr: 2 } as const;

/** CLI → controller control messages (text). `start` must come first, exactly once. */
export type ExecClientMessage =
  | { type: 'start'; cmd: string[]; tty: boolean; stdin: boolean; rows?: number; cols?: number }
  | { type: 'resize'; rows: number; cols: number }
  /** stdin is at its end (the agent closes the process's stdin). */
  | { type: 'eof' };

/** Controller → CLI control messages (text). After `exit` or `error` the controller closes the socket. */
export type ExecServerMessage =
  | { type: 'started'; user: string }
  | { type: 'exit'; code: number }
  | { type: 'error'; code: string; message: string };

/** Exit status of `berth exec` when the command's own code is unknown (the exec failed to run). */
export const EXEC_FAILED_EXIT = 126;
