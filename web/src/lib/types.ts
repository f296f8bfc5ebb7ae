// The shapes the page reads from the controller's read-only API and event stream
// (controller/http/views.ts, controller/http/events.ts). Written out here because the page never
// imports controller code; only the fields the page shows are listed.

export interface Condition { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; lastTransitionTime?: string }

export interface ContainerDecl { name: string; image: string; state: 'Running' | 'Stopped'; restartPolicy?: string; imagePullPolicy?: string }

export type ContainerState = 'Pending' | 'Pulling' | 'Running' | 'Stopped' | 'Exited' | 'Restarting' | 'Failed' | 'Unknown';

export interface ContainerStatus {
  name: string;
  containerID?: string;
  image?: string;
  imageID?: string;
  state: ContainerState;
  health?: 'none' | 'starting' | 'healthy' | 'unhealthy';
  ready: boolean;
  restartCount?: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  message?: string;
}

export interface AgentStatus {
  connected: boolean;
  connectedAt?: string;
  lastSeenAt?: string;
  version?: string;
  hostname?: string;
  os?: string;
  arch?: string;
  dockerVersion?: string;
}

export interface Meta { namespace: string; name: string; uid: string; generation?: number; creationTimestamp?: string; deletionTimestamp?: string }

export interface Host {
  metadata: Meta;
  spec: { paused?: boolean; containers?: ContainerDecl[] };
  status: { observedGeneration?: number; agent?: AgentStatus; containers?: ContainerStatus[]; ready?: string; conditions?: Condition[] };
}

export interface Token {
  metadata: Meta;
  spec: { hostRef: { name: string }; ttl?: string; secretName?: string };
  status: { secretName?: string; tokenID?: string; issuedAt?: string; expiresAt?: string; lastUsedAt?: string; conditions?: Condition[] };
}

export interface SourceProblem { source: string; line?: number; message: string; since: string }

/** event: snapshot */
export interface Snapshot { user?: string; hosts: Host[]; tokens: Token[] | null; tokensMessage?: string; problems: SourceProblem[] }

/** event: changes */
export interface Changes { hosts?: Host[]; deletedHosts?: string[]; tokens?: Token[]; deletedTokens?: string[]; problems?: SourceProblem[] }

/** GET /api/v1/session */
export interface SessionInfo {
  mode: 'anonymous' | 'kubernetes';
  user?: string;
  expiresAt?: string;
  can?: { hosts: { allowed: boolean; message?: string }; tokens: { allowed: boolean; message?: string } };
}

export const keyOf = (m: Pick<Meta, 'namespace' | 'name'>): string => `${m.namespace}/${m.name}`;
