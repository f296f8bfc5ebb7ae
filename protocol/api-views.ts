// What the controller's read-only API sends the status page (and anyone else): the JSON of
// GET /api/v1/hosts, /api/v1/sets, /api/v1/tokens, /api/v1/sources, /api/v1/session, /api/v1/logs/check and the
// page feed (GET /api/v1/events, server-sent events). Defined once, here: the controller builds
// these (controller/http/) and the page reads them (web/), so the two cannot drift apart. The log
// socket's messages are in log-viewer.ts. Type-only: no runtime code, nothing of Kubernetes' client.
import type { ObservedContainer } from './container.js';
import type { PageStats } from './stats.js';
import type { AgentTokenSpec, AgentTokenStatus, ContainerHostSpec, ContainerHostStatus, ContainerSetSpec, ContainerSetStatus } from './resources.js';

/** "<namespace>/<name>" of a resource (how deletions are named in `changes`). */
export type ResourceKeyView = string;

/** A host as the API shows it: metadata, spec (which holds only Secret references) and status. */
export interface HostView {
  metadata: {
    namespace: string; name: string; uid: string; generation: number;
    creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string>;
  };
  spec: ContainerHostSpec;
  status: ContainerHostStatus;
}

/**
 * A ContainerSet as the API shows it (GET /api/v1/sets, the page feed): metadata, spec (Secret
 * references only) and status, whose hostStatuses are the rollout's grid of hosts.
 */
export interface SetView {
  metadata: {
    namespace: string; name: string; uid: string; generation: number;
    creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string>;
  };
  spec: ContainerSetSpec;
  status: ContainerSetStatus;
}
/** GET /api/v1/sets/NS/NAME: the set and its Events (newest last). Access: `get containersets` in NS. */
export type SetDetailView = SetView & { events: EventView[] };

/** A token as the API shows it: bookkeeping only, never the token (status holds no secret either). */
export interface TokenView {
  metadata: { namespace: string; name: string; uid: string; creationTimestamp?: string };
  spec: AgentTokenSpec;
  status: AgentTokenStatus;
}

/** A manifest file or informer that cannot be read (directory mode: a file that fails to parse or validate). */
export interface SourceProblem { source: string; line?: number; message: string; since: string }

/** One Kubernetes-style Event of a resource (GET /api/v1/hosts/NS/NAME, newest last). */
export interface EventView {
  type: 'Normal' | 'Warning'; reason: string; message: string; time?: string;
  /** Repeats are counted, as Kubernetes does (the stores' StoredEvent). */
  count?: number; firstTimestamp?: string; lastTimestamp?: string;
}

/** GET /api/v1/hosts, /api/v1/sets, /api/v1/tokens: the items in namespaces the caller may `get`. */
export interface ListView<T> { items: T[] }
/** GET /api/v1/hosts/NS/NAME */
export type HostDetailView = HostView & { events: EventView[] };
/**
 * GET /api/v1/hosts/NS/NAME/observed: what the controller's planner sees for this host right now —
 * the agent's inventory and the live spec as resolved — so `berth plan` runs the same planner on
 * the same input. Spec hashes only: Secret values never leave the controller.
 */
export interface ObservedHostView {
  namespace: string;
  name: string;
  /** The metadata.generation of the spec `desired` was resolved from. */
  generation: number;
  /** An agent is connected and its Docker answers: the planner acts (false: it leaves everything as it is). */
  canAct: boolean;
  /** The managed containers the agent last reported; null when no agent has reported (or this controller is a standby). */
  containers: ObservedContainer[] | null;
  /** The live spec's containers as the controller resolved them (Secrets filled in): their spec hashes. */
  desired: Array<{ name: string; specHash: string }>;
  /** Live containers that could not be resolved (e.g. a missing Secret), with "<reason>: <message>". */
  unresolved: Array<{ name: string; message: string }>;
  /** Containers with an action in flight, and those waiting out a retry backoff. */
  inFlight: string[];
  backingOff: string[];
}
/** GET /api/v1/sources */
export interface SourcesView { problems: SourceProblem[] }

/** Every refusal and failure: {error: "Unauthorized" | "Forbidden" | "NotFound" | "BadRequest" | …, message}. */
export interface ApiError { error: string; message: string }

// ---- the page feed: GET /api/v1/events (one `event:` name per payload)

/** `snapshot`: first, and again whenever what the viewer may see changed (RBAC granted or revoked). */
export interface PageSnapshot {
  user?: string;
  hosts: HostView[];
  /** null: this viewer may not see tokens (tokensMessage says why). */
  tokens: TokenView[] | null;
  tokensMessage?: string;
  /** ContainerSets the viewer may see (absent from controllers older than issue 13). */
  sets?: SetView[];
  problems: SourceProblem[];
}
/** `changes`: coalesced over 25 ms; only what changed, in namespaces the viewer may see. */
export interface PageChanges {
  hosts?: HostView[];
  deletedHosts?: ResourceKeyView[];
  tokens?: TokenView[];
  deletedTokens?: ResourceKeyView[];
  sets?: SetView[];
  deletedSets?: ResourceKeyView[];
  problems?: SourceProblem[];
}
/** `heartbeat`: every 15 s; access is re-checked then. */
export interface PageHeartbeat { time: string }
/** `denied`: the viewer lost access; the stream ends. */
export interface PageDenied { status: 401 | 403; message: string }
/** The page feed's event names and their data. */
export interface PageFeedEvents { snapshot: PageSnapshot; changes: PageChanges; heartbeat: PageHeartbeat; denied: PageDenied; stats: PageStats }

// ---- the browser session: /api/v1/session

/** anonymous: no sign-in (directory mode on loopback); kubernetes: a Kubernetes token; token: directory mode's UI token (--ui-auth token). */
export type SessionMode = 'anonymous' | 'kubernetes' | 'token';
export interface ViewPermission { allowed: boolean; message?: string }

/** GET /api/v1/session (200): who the request is and what it may see. */
export interface BrowserSessionView {
  mode: SessionMode;
  user: string;
  /** Kubernetes mode: when the session cookie expires. */
  expiresAt?: string;
  can: { hosts: ViewPermission; tokens: ViewPermission; sets?: ViewPermission };
}
/** GET or POST /api/v1/session refused (401, 403, 503). */
export interface BrowserSessionRefusal extends ApiError { mode: SessionMode }
/** POST /api/v1/session {"token"} (200): signed in. */
export interface BrowserSignIn { mode: SessionMode; user: string; expiresAt: string }
/** POST /api/v1/session {"signOut": true} (200). */
export interface BrowserSignOut { mode: SessionMode; signedOut: true }

/** GET /api/v1/logs/check (200): the log socket would accept this request. */
export interface LogCheckView { ok: true; user: string }
