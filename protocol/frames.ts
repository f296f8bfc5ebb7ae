// The frames of the agent <-> controller protocol (JSON text frames over one WebSocket).
import type { ContainerStats } from './stats.js';
import type { AgentFacts, ContainerSpec, DockerFacts, HostPolicy, NetworkSpec, ObservedContainer, PullAuth } from './container.js';

export const PROTOCOL_VERSION = 1;
/** Largest frame either side accepts (ws maxPayload). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Every WebSocket close code Berth sends or acts on (agent socket and the browsers' log socket),
 * in one place so that the sender and the reader of a code cannot drift apart.
 */
export const CLOSE = {
  // RFC 6455 codes
  normal: 1000,            // done on purpose (a log viewer closing its tail)
  shuttingDown: 1001,      // the controller or the agent is going away; reconnect
  abnormal: 1006,          // never sent: what a socket lost without a close frame reports (missed pongs)
  policyViolation: 1008,   // refused for good reason: host not declared; log viewer's access revoked or stream ended
  internalError: 1011,     // the controller failed (welcome could not be built or sent); retry later
  serviceRestart: 1012,    // this controller is no longer the leader: reconnect (the Service finds the leader)
  // this protocol's codes
  superseded: 4001,        // a newer connection for the same host replaced this one
  unsupportedVersion: 4002,
  revoked: 4003,           // the AgentToken was deleted or rotated, or the token expired
  protocolError: 4004,     // no hello in time, or too many invalid frames
} as const;

export interface ErrorBody { code: string; message: string }

// ---- agent -> controller
export interface HelloFrame {
  type: 'hello';
  protocolVersion: number;
  agent: AgentFacts;
  docker: DockerFacts;
  containers: ObservedContainer[];
}
export interface ObservedFrame { type: 'observed'; docker: DockerFacts; containers: ObservedContainer[] }
export interface ResultFrame { type: 'result'; id: string; ok: boolean; error?: ErrorBody; container?: ObservedContainer }
export interface LogEntry { t: string; s: 'out' | 'err'; l: string }
export interface LogFrame { type: 'log'; stream: string; entries: LogEntry[] }
export interface LogEndFrame { type: 'logEnd'; stream: string; reason?: string }
// exec (protocol/exec.ts has the limits): output chunks and the end of one exec, and stdin credit.
export interface ExecOutputFrame { type: 'execOutput'; id: string; stream: 'out' | 'err'; /** base64 */ data: string }
export interface ExecEndFrame { type: 'execEnd'; id: string; exitCode?: number; error?: ErrorBody }
/** Resource samples of the managed containers that run (protocol/stats.ts); the controller stamps the time. */
export interface StatsFrame { type: 'stats'; intervalSeconds: number; containers: ContainerStats[] }

// ---- controller -> agent
export interface WelcomeFrame {
  type: 'welcome';
  protocolVersion: number;
  host: { namespace: string; name: string; uid: string };
  policy: HostPolicy;
  /** Seconds between full `observed` reports. */
  resyncSeconds: number;
  /**
   * Enrollment: the long-lived credential for this host, sent once, to the agent that connected with
   * its one-time join token; the agent stores it (0600) and connects with it from then on.
   */
  credential?: string;
}
/** `networks`: the host's declared networks (absent: none); see controller/reconcile/networks.ts. */
export interface ApplyFrame { type: 'apply'; id: string; container: ContainerSpec; policy: HostPolicy; hostUid: string; pullAuth?: PullAuth; networks?: NetworkSpec[] }
export interface RemoveFrame { type: 'remove'; id: string; name: string; networks?: NetworkSpec[] }
export interface LogsFrame {
  type: 'logs'; stream: string; name: string; tail: number; follow: boolean;
  /**
   * Only lines at or after this RFC 3339 time (a `LogEntry.t` already received): resuming after a
   * reconnect. Docker's `since` is inclusive, so the controller drops the lines it already has.
   */
  since?: string;
}
export interface LogsCancelFrame { type: 'logsCancel'; stream: string }
/**
 * Restart a managed container in place (stop + start, same container, same spec hash) — but only if
 * it still has the StartedAt the controller saw: a compare-and-swap, so a repeated or late frame
 * never restarts it twice, whatever the clocks say.
 */
export interface RestartFrame { type: 'restart'; id: string; name: string; startedAt: string }
/** Run CMD in the managed container CONTAINER; output flows back as execOutput within the credit window. */
export interface ExecStartFrame {
  type: 'execStart'; id: string; container: string; cmd: string[]; tty: boolean; stdin: boolean;
  rows?: number; cols?: number;
}
export interface ExecInputFrame { type: 'execInput'; id: string; /** base64 */ data?: string; eof?: boolean }
export interface ExecResizeFrame { type: 'execResize'; id: string; rows: number; cols: number }
export interface ExecCancelFrame { type: 'execCancel'; id: string }

// ---- both ways: the reply to a frame that could not be accepted
export interface ErrorFrame { type: 'error'; id?: string; code: string; message: string }
/** Exec flow control, both ways: "I consumed BYTES (decoded) of what you sent for exec ID; send that much more". */
export interface ExecCreditFrame { type: 'execCredit'; id: string; bytes: number }

export type AgentFrame = HelloFrame | ObservedFrame | ResultFrame | LogFrame | LogEndFrame | ExecOutputFrame | ExecEndFrame | ExecCreditFrame | StatsFrame | ErrorFrame;
export type ControllerFrame = WelcomeFrame | ApplyFrame | RemoveFrame | RestartFrame | LogsFrame | LogsCancelFrame
  | ExecStartFrame | ExecInputFrame | ExecResizeFrame | ExecCancelFrame | ExecCreditFrame | ErrorFrame;
