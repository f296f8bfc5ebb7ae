// What the controller sends a browser on the log socket `GET /api/v1/logs/ws` (JSON text frames).
// Shared here so the web page can import the types without importing controller code. The browser
// sends nothing (anything it sends is ignored); the server pings every 30 s.
import type { LogEntry } from './frames.js';

export const LOGS_WS_PATH = '/api/v1/logs/ws';
/** `tail` when the query has none, and its largest value (the controller's ring size). */
export const DEFAULT_LOG_TAIL = 200;
export const MAX_LOG_TAIL = 1000;

/** First, once per socket. `replayed`: how many ring-buffer lines follow at once (≤ tail). */
export interface LogReadyMessage { type: 'ready'; namespace: string; host: string; container: string; replayed: number }
/** Lines in order; the replay first, then live lines. `t` is Docker's RFC3339Nano timestamp. */
export interface LogLinesMessage { type: 'lines'; entries: LogEntry[] }
/** This viewer fell behind and DROPPED lines were skipped for it here (other viewers got them). */
export interface LogGapMessage { type: 'gap'; dropped: number }
/** Not streaming now (agent disconnected, container not running…); the socket stays open and lines resume. */
export interface LogWaitingMessage { type: 'waiting'; reason: string }
/** The stream is over for good; the socket closes next (1011, or 1008 for a policy reason such as "no longer declared"). */
export interface LogErrorMessage { type: 'error'; code: string; message: string }

export type LogViewerMessage = LogReadyMessage | LogLinesMessage | LogGapMessage | LogWaitingMessage | LogErrorMessage;
