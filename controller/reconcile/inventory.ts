// The agent inventory: per host, what its agent last told us (connection, agent and Docker facts,
// the managed containers — the observed view), kept from hub notifications. Every notification
// that changes what a reconcile would decide enqueues the host; the inventory decides nothing.
import type { ObservedContainer } from '../../protocol/container.js';
import type { HelloFrame, ObservedFrame, ResultFrame } from '../../protocol/frames.js';
import type { ResourceKey } from '../api/types.js';
import type { AgentHub, ConnectionInfo } from '../hub/hub.js';
import type { Store } from '../store/store.js';
import { capObserved, OBSERVED_MARGIN } from './observed-cap.js';
import type { AgentView } from './status.js';

const NEVER_CONNECTED: AgentView = { connected: false };

export interface AgentInventoryOptions {
  hub: Pick<AgentHub, 'on'>;
  recordEvent: Store['recordEvent'];
  enqueue: (key: ResourceKey) => void;
  /**
   * A host's agent connected, or a connected one went away: what was dispatched on the old
   * connection will never report (the dispatcher forgets it), and a new one deserves a fresh try.
   */
  onConnectionChange?: (key: ResourceKey, change: 'connected' | 'disconnected') => void;
  now?: () => Date;
  /** The container names the host declares: the observed view keeps those plus OBSERVED_MARGIN others. */
  declared?: (key: ResourceKey) => ReadonlySet<string>;
}

export class AgentInventory {
  private readonly views = new Map<ResourceKey, AgentView>();
  private readonly now: () => Date;
  /** Hosts whose last report was cut to the cap (the Warning is recorded once per episode). */
  private readonly truncated = new Set<ResourceKey>();

  constructor(private readonly opts: AgentInventoryOptions) {
    this.now = opts.now ?? (() => new Date());
    const { hub } = opts;
    hub.on('connected', (key, hello, session) => this.onConnected(key, hello, session));
    hub.on('observed', (key, frame) => this.onObserved(key, frame));
    hub.on('result', (key, frame) => this.onResult(key, frame));
    hub.on('disconnected', (key) => this.onDisconnected(key));
    hub.on('conflict', (key, detail) => {
      opts.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'AgentConflict',
        message: `a second agent connected for this host${detail.remoteAddress ? ` from ${detail.remoteAddress}` : ''}; the earlier connection was closed` });
    });
  }

  /** The host's agent as last seen (never connected: `{ connected: false }`). */
  view(key: ResourceKey): AgentView { return this.views.get(key) ?? NEVER_CONNECTED; }

  /** A result carried the container as it is now. */
  upsertObserved(key: ResourceKey, c: ObservedContainer): void {
    const v = this.view(key);
    this.views.set(key, { ...v, containers: [...(v.containers ?? []).filter((o) => o.name !== c.name), c] });
  }

  /** A remove succeeded: the container is gone before the next observed frame says so. */
  dropObserved(key: ResourceKey, name: string): void {
    const v = this.views.get(key);
    if (v) this.views.set(key, { ...v, containers: (v.containers ?? []).filter((o) => o.name !== name) });
  }

  /** The host is gone from the store. */
  forget(key: ResourceKey): void { this.views.delete(key); this.truncated.delete(key); }

  /** An agent's report bounded by what the host declares (observed-cap.ts). */
  private capped(key: ResourceKey, reported: readonly ObservedContainer[]): readonly ObservedContainer[] {
    if (!this.opts.declared) return reported;
    const { containers, dropped } = capObserved(reported, this.opts.declared(key));
    if (dropped === 0) { this.truncated.delete(key); return containers; }
    if (!this.truncated.has(key)) {
      this.truncated.add(key);
      this.opts.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'InventoryTruncated',
        message: `the agent reported ${reported.length} containers; kept the declared ones and ${OBSERVED_MARGIN} others, ignored ${dropped} (the rest are seen as the reconciler removes orphans)` });
    }
    return containers;
  }

  private onConnected(key: ResourceKey, hello: HelloFrame, connection: ConnectionInfo): void {
    this.views.set(key, { connected: true, connectedAt: connection.connectedAt, lastSeenAt: connection.lastSeenAt, agent: hello.agent, docker: hello.docker, containers: this.capped(key, hello.containers) });
    this.opts.onConnectionChange?.(key, 'connected');
    this.opts.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'AgentConnected', message: `agent ${hello.agent.version} connected from ${hello.agent.hostname}` });
    this.opts.enqueue(key);
  }

  private onObserved(key: ResourceKey, frame: ObservedFrame): void {
    this.views.set(key, { ...this.view(key), docker: frame.docker, containers: this.capped(key, frame.containers), lastSeenAt: this.now().toISOString() });
    this.opts.enqueue(key);
  }

  // No enqueue: the dispatcher re-enqueues the host when the action's promise settles.
  private onResult(key: ResourceKey, frame: ResultFrame): void {
    this.views.set(key, { ...this.view(key), lastSeenAt: this.now().toISOString() });
    if (frame.container) this.upsertObserved(key, frame.container);
  }

  private onDisconnected(key: ResourceKey): void {
    const v = this.view(key);
    if (!v.connected) return;
    this.views.set(key, { ...v, connected: false, lastSeenAt: this.now().toISOString() });
    this.opts.onConnectionChange?.(key, 'disconnected');
    this.opts.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'AgentDisconnected', message: 'agent disconnected; containers are left as they are' });
    this.opts.enqueue(key);
  }
}
