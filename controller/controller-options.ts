// What a Controller is built from: its store, listeners, TLS, access control and tuning. The type
// lives apart from controller.ts (the wiring) so that both stay small; controller.ts re-exports it.
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TlsFiles } from './tls/tls-files.js';
import type { AccessControl } from './http/access.js';
import type { SessionAuthority } from './http/kube-access.js';
import type { HostAllowlist } from './http/host-allowlist.js';
import type { Leadership } from './leader/leadership.js';
import type { OperatorAccess } from './operate/operator-access.js';
import type { RestartRequestFile } from './operate/restart-requests.js';
import type { Store } from './store/store.js';

export interface ControllerOptions {
  store: Store;
  logger: Logger;
  version: string;
  /** Where the API, the web page and the agent endpoint listen. */
  listen: { host: string; port: number };
  /** The URL agents dial (written into token Secrets/files); default ws(s)://<agent listen address>. */
  agentUrl?: string;
  /** HTTPS on `listen` (the page, API and agent endpoint), reloaded when its files change. */
  tls?: TlsFiles;
  /**
   * A second listener for the agent endpoint only (and /healthz, /readyz), so it can face the
   * network while the page stays on loopback; TLS: its own, else `tls`.
   */
  agentListen?: { host: string; port: number; tls?: TlsFiles };
  workers?: number;
  /** Full resync of every resource (default 5 min). */
  resyncMs?: number;
  registry?: Registry;
  leadership?: Leadership;
  /**
   * Who may read what through the HTTP surface — JSON API, event stream, and the log socket, which
   * asks before upgrading (default anonymous: directory mode on loopback).
   */
  access?: AccessControl;
  /** Kubernetes-mode page sign-in (POST /api/v1/session); usually the same object as `access`. */
  sessions?: SessionAuthority;
  /** The built status page (default <package>/dist/web); false serves none. */
  webRoot?: string | false;
  /**
   * Operator actions (`berth exec`, and `berth restart` in directory mode): who may run them (the
   * UI token, or RBAC `create containerhosts/exec`), and where directory mode keeps restart
   * requests. Absent: every operator action is refused.
   */
  operator?: { access: OperatorAccess; restarts?: RestartRequestFile };
  /**
   * The names the controller answers to (Host header); anything else gets 421 on every route and
   * upgrade (DNS rebinding). Directory mode always sets it; absent: any Host is answered.
   */
  hostAllowlist?: HostAllowlist;
  /** How often live agent sessions are re-verified against their AgentTokens (default 30 s; also soon after every AgentToken change). */
  sessionRecheckMs?: number;
  /** Hub timings, for tests; resyncSeconds: how often agents re-send their inventory (default 300). */
  hubOptions?: { pingIntervalMs?: number; helloTimeoutMs?: number; resyncSeconds?: number };
  /** Container resource history (docs/stats.md): slot width, window, per-container gauges. */
  stats?: { resolutionSeconds?: number; windowSeconds?: number; containerMetrics?: boolean };
  /** Log fan-out tuning (docs/logs.md): grace after the last viewer, ring size, slow-viewer bound. */
  logs?: { graceMs?: number; ringSize?: number; viewerMaxBufferedBytes?: number; accessRecheckMs?: number };
}
