// Reconciles one ContainerHost: resolve the declared containers, plan against what its agent
// reports, dispatch the actions (without waiting for them: results re-enqueue the host), and write
// status when it changed. The agent's inventory is cached from hub events; everything here is
// level-triggered — any event just says "look at this host again".
import type { Logger } from 'pino';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContainerSpec, ObservedContainer } from '../../protocol/container.js';
import type { HelloFrame, ObservedFrame, ResultFrame } from '../../protocol/frames.js';
import { ANNOTATIONS, type ContainerHost, type ContainerHostStatus, type ResourceKey } from '../api/types.js';
import { DispatchError, type AgentHub, type SessionInfo } from '../hub/hub.js';
import type { EventRecord, Store } from '../store/store.js';
import { canonicalJson } from './canonical-json.js';
import type { Reconciler, ReconcileResult } from './loop.js';
import { plan, type Action } from './planner.js';
import { ResolutionCache } from './resolution-cache.js';
import { pullAuthFor } from './resolve.js';
import { computeHostStatus, type AgentView } from './status.js';

/** lastSeenAt alone does not justify a status write more often than this. */
const LAST_SEEN_WRITE_MS = 60_000;
/** How long an action may take on the agent (a pull of a large image included). */
const ACTION_TIMEOUT_MS = 15 * 60_000;

interface HostRuntime {
  agent: AgentView;
  /** container name → action id */
  inFlight: Map<string, string>;
  /** container name → last failure message */
  failures: Map<string, string>;
  /** container name → when a failed container may be tried again (1 s doubling, capped at 5 min). */
  retry: Map<string, { at: number; attempts: number }>;
}

const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 5 * 60_000;

/** The Event a dispatched action records: what is about to happen to which container, and why. */
export function eventFor(action: Action): EventRecord {
  if (action.kind === 'remove') return { type: 'Normal', reason: 'Removing', message: `${action.name}: ${action.why}` };
  const pull = action.spec.imagePullPolicy === 'Always' ? 'pulling' : action.spec.imagePullPolicy === 'IfNotPresent' ? 'pulling if missing' : 'not pulling';
  if (action.why === 'missing') return { type: 'Normal', reason: 'Creating', message: `${action.name}: creating from ${action.spec.image} (${pull})` };
  if (action.why.startsWith('spec changed')) return { type: 'Normal', reason: 'Recreating', message: `${action.name}: ${action.why}; recreating from ${action.spec.image} (${pull})` };
  return { type: 'Normal', reason: action.spec.state === 'Running' ? 'Starting' : 'Stopping', message: `${action.name}: ${action.why}` };
}

export class HostReconciler implements Reconciler<ResourceKey> {
  private readonly hosts = new Map<ResourceKey, HostRuntime>();
  /** Hosts whose last computed status says Ready=True (for the berth_hosts_ready gauge). */
  private readonly ready = new Set<ResourceKey>();
  private readonly resolutions: ResolutionCache;
  private readonly statusWrites: Counter;
  private readonly actions: Counter<'kind' | 'result'>;

  constructor(
    private readonly store: Store,
    private readonly hub: AgentHub,
    private readonly enqueue: (key: ResourceKey) => void,
    private readonly logger: Logger,
    registry: Registry,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.resolutions = new ResolutionCache((ns, name) => store.secret(ns, name));
    this.statusWrites = new Counter({ name: 'berth_status_writes_total', help: 'ContainerHost status writes (only when changed)', registers: [registry] });
    this.actions = new Counter({ name: 'berth_actions_total', help: 'Actions dispatched to agents, by kind and result', labelNames: ['kind', 'result'], registers: [registry] });
    // Read at scrape time: "how many hosts are Ready" is what an operator alerts on, and what
    // bench/scale waits for without listing thousands of statuses.
    const ready = this.ready;
    new Gauge({ name: 'berth_hosts_ready', help: 'ContainerHosts whose Ready condition is True', registers: [registry], collect() { this.set(ready.size); } });
    new Gauge({ name: 'berth_hosts', help: 'ContainerHosts the controller knows', registers: [registry], collect() { this.set(store.hosts().length); } });
    hub.on('connected', (key, hello, session) => this.onConnected(key, hello, session));
    hub.on('observed', (key, frame) => this.onObserved(key, frame));
    hub.on('result', (key, frame) => this.onResult(key, frame));
    hub.on('disconnected', (key) => this.onDisconnected(key));
    hub.on('conflict', (key, detail) => {
      store.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'AgentConflict',
        message: `a second agent connected for this host${detail.remoteAddress ? ` from ${detail.remoteAddress}` : ''}; the earlier connection was closed` });
    });
  }

  private runtime(key: ResourceKey): HostRuntime {
    let r = this.hosts.get(key);
    if (!r) { r = { agent: { connected: false }, inFlight: new Map(), failures: new Map(), retry: new Map() }; this.hosts.set(key, r); }
    return r;
  }

  private onConnected(key: ResourceKey, hello: HelloFrame, session: SessionInfo): void {
    const r = this.runtime(key);
    r.agent = { connected: true, connectedAt: session.connectedAt, lastSeenAt: session.lastSeenAt, agent: hello.agent, docker: hello.docker, containers: hello.containers };
    r.inFlight.clear();   // a new connection has no actions of ours in flight
    r.retry.clear();      // and deserves a fresh try
    this.store.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'AgentConnected', message: `agent ${hello.agent.version} connected from ${hello.agent.hostname}` });
    this.enqueue(key);
  }

  private onObserved(key: ResourceKey, frame: ObservedFrame): void {
    const r = this.runtime(key);
    r.agent = { ...r.agent, docker: frame.docker, containers: frame.containers, lastSeenAt: this.now().toISOString() };
    this.enqueue(key);
  }

  private onResult(key: ResourceKey, frame: ResultFrame): void {
    const r = this.runtime(key);
    r.agent = { ...r.agent, lastSeenAt: this.now().toISOString() };
    if (frame.container) this.upsertObserved(r, frame.container);
  }

  private onDisconnected(key: ResourceKey): void {
    const r = this.runtime(key);
    if (!r.agent.connected) return;
    r.agent = { ...r.agent, connected: false, lastSeenAt: this.now().toISOString() };
    r.inFlight.clear();
    this.store.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'AgentDisconnected', message: 'agent disconnected; containers are left as they are' });
    this.enqueue(key);
  }

  private upsertObserved(r: HostRuntime, c: ObservedContainer): void {
    r.agent = { ...r.agent, containers: [...(r.agent.containers ?? []).filter((o) => o.name !== c.name), c] };
  }

  private dropObserved(r: HostRuntime, name: string): void {
    r.agent = { ...r.agent, containers: (r.agent.containers ?? []).filter((o) => o.name !== name) };
  }

  /** `signal` (leadership lost, stopping) is checked before each side effect: finalizer, dispatch, status. */
  async reconcile(key: ResourceKey, signal: AbortSignal): Promise<ReconcileResult> {
    const host = this.store.host(key);
    if (!host) { this.hosts.delete(key); this.ready.delete(key); this.resolutions.delete(key); return {}; }
    const deleting = host.metadata.deletionTimestamp !== undefined;
    if (deleting && host.metadata.annotations?.[ANNOTATIONS.forceDelete] === 'true') {
      signal.throwIfAborted();
      this.store.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'ForceDeleted', message: 'berth.dev/force-delete: containers were left as they are' });
      await this.store.removeFinalizer(key);
      return {};
    }
    if (!deleting) { signal.throwIfAborted(); await this.store.ensureFinalizer(key); }

    const r = this.runtime(key);
    const { desired, unresolved } = this.resolutions.resolve(key, host);

    // Containers whose last action failed wait out their backoff before the next try.
    const nowMs = this.now().getTime();
    const waiting = [...r.retry].filter(([, w]) => w.at > nowMs);
    const docker = r.agent.docker;
    const canAct = r.agent.connected && (docker === undefined || docker.ok);
    const result = plan({
      desired, unresolved: new Set(unresolved.keys()),
      observed: canAct ? (r.agent.containers ?? []) : undefined,
      inFlight: new Set([...r.inFlight.keys(), ...waiting.map(([name]) => name)]),
      paused: host.spec.paused, deleting, removalPolicy: host.spec.removalPolicy,
    });
    for (const action of result.actions) { signal.throwIfAborted(); this.dispatch(key, host, action, r); }

    if (deleting && result.cleanupDone && r.inFlight.size === 0) {
      signal.throwIfAborted();
      this.store.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'CleanedUp', message: host.spec.removalPolicy === 'Orphan' ? 'containers left running (removalPolicy Orphan)' : 'managed containers removed' });
      await this.store.removeFinalizer(key);
      this.hosts.delete(key);
      this.ready.delete(key);
      this.resolutions.delete(key);
      return {};
    }

    const status = computeHostStatus({
      host, agent: r.agent, desired, unresolved, inFlight: new Set(r.inFlight.keys()), failures: r.failures, now: this.now().toISOString(),
    });
    if (status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) this.ready.add(key);
    else this.ready.delete(key);
    if (this.statusChanged(host.status, status)) {
      signal.throwIfAborted();
      await this.store.writeHostStatus(key, status);
      this.statusWrites.inc();
    }
    // Health checks settle on their own schedule; look again while any is starting.
    const settling = status.containers?.some((c) => c.health === 'starting') ? 2000 : Infinity;
    const nextRetry = Math.min(...waiting.map(([, w]) => w.at - nowMs));
    const after = Math.min(settling, nextRetry);
    return Number.isFinite(after) ? { requeueAfterMs: Math.max(1, after) } : {};
  }

  private statusChanged(before: ContainerHostStatus | undefined, after: ContainerHostStatus): boolean {
    if (!before) return true;
    const strip = (s: ContainerHostStatus) => ({ ...s, agent: { ...s.agent, lastSeenAt: undefined } });
    const [a, b] = [strip(before), strip(after)];
    // Same key order (what this reconciler wrote last) is the common case and JSON.stringify is
    // several times faster; only a difference needs the order-insensitive comparison.
    if (JSON.stringify(a) !== JSON.stringify(b) && canonicalJson(a) !== canonicalJson(b)) return true;
    const seenBefore = Date.parse(before.agent?.lastSeenAt ?? '');
    const seenAfter = Date.parse(after.agent?.lastSeenAt ?? '');
    return Number.isFinite(seenAfter) && (!Number.isFinite(seenBefore) || seenAfter - seenBefore >= LAST_SEEN_WRITE_MS);
  }

  private backOff(r: HostRuntime, name: string): void {
    const attempts = (r.retry.get(name)?.attempts ?? 0) + 1;
    r.retry.set(name, { attempts, at: this.now().getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1)) });
  }

  private dispatch(key: ResourceKey, host: ContainerHost, action: Action, r: HostRuntime): void {
    const id = `${action.kind}-${action.name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    r.inFlight.set(action.name, id);
    this.logger.info({ host: key, container: action.name, action: action.kind, why: action.why }, 'dispatching');
    this.store.recordEvent('ContainerHost', key, eventFor(action));
    const frame = action.kind === 'apply'
      ? { type: 'apply' as const, id, container: action.spec, policy: host.spec.policy, hostUid: host.metadata.uid,
        ...(() => { const auth = pullAuthFor(host, action.spec.image, (ns, n) => this.store.secret(ns, n)); return auth ? { pullAuth: auth } : {}; })() }
      : { type: 'remove' as const, id, name: action.name };
    this.hub.dispatch(key, frame, { timeoutMs: ACTION_TIMEOUT_MS }).then((res) => {
      if (res.ok) {
        r.failures.delete(action.name);
        r.retry.delete(action.name);
        if (action.kind === 'remove') this.dropObserved(r, action.name);
        this.actions.inc({ kind: action.kind, result: 'ok' });
      } else {
        const message = `${res.error?.code ?? 'Error'}: ${res.error?.message ?? 'failed'}`;
        r.failures.set(action.name, message);
        this.backOff(r, action.name);
        this.actions.inc({ kind: action.kind, result: 'failed' });
        this.store.recordEvent('ContainerHost', key, { type: 'Warning', reason: action.kind === 'apply' ? 'ApplyFailed' : 'RemoveFailed', message: `${action.name}: ${message}` });
      }
    }, (err: unknown) => {
      // A lost connection is not the container's fault: the reconnect re-plans it.
      if (err instanceof DispatchError && (err.code === 'disconnected' || err.code === 'not_connected')) return;
      r.failures.set(action.name, `${err instanceof DispatchError ? err.code : 'Error'}: ${(err as Error).message}`);
      this.backOff(r, action.name);
      this.actions.inc({ kind: action.kind, result: 'error' });
    }).finally(() => {
      if (r.inFlight.get(action.name) === id) r.inFlight.delete(action.name);
      this.enqueue(key);
    });
  }
}
