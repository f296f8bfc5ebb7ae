// Reconciles one ContainerHost: resolve the declared containers, plan against what its agent
// reports, dispatch the actions, and write status when it changed. Three parts, one job each: the
// inventory (hub notifications → the per-host observed view), the dispatcher (actions in flight,
// their results, per-container retry backoff) and this reconciler, which decides and writes status.
// Everything is level-triggered — any notification or result just says "look at this host again".
import { dependencyInputs } from './dependencies.js';
import type { Logger } from 'pino';
import type { ObservedHostView } from '../../protocol/api-views.js';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ANNOTATIONS, type ContainerHost, type ContainerHostStatus, type ResourceKey } from '../api/types.js';
import type { AgentHub } from '../hub/hub.js';
import type { Store } from '../store/store.js';
import type { ObservedContainer } from '../../protocol/container.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { ActionDispatcher } from './dispatcher.js';
import { finalizer } from './finalizer.js';
import { AgentInventory } from './inventory.js';
import type { Reconciler, ReconcileResult } from './loop.js';
import { plan } from './planner.js';
import { adoptLegacyHashes, showKeyed } from './legacy-hashes.js';
import { ResolutionCache } from './resolution-cache.js';
import { RestartLedger, restartRequests, startedSince, type StoredRestartRequest } from './restarts.js';
import { computeHostStatus } from './status.js';
import type { HostImageFollower } from '../images/host-follower.js';
import type { Resolution } from './resolution-cache.js';
import { declaredNames, mergeSetContainers } from './set-merge.js';
import { withSetCollisions } from './set-collisions.js';
import { interimStatusWait } from './interim-status.js';

/** While a health check is starting, look again this often (it settles on its own schedule). */
const HEALTH_SETTLING_MS = 2000;

/** One pass over a host: `done` once a host being deleted has nothing left to clean up. */
type Pass = { done: true } | { done: false; result: ReconcileResult };

export class HostReconciler implements Reconciler<ResourceKey> {
  private readonly inventory: AgentInventory;
  private readonly dispatcher: ActionDispatcher;
  /** Hosts whose last computed status says Ready=True (for the berth_hosts_ready gauge). */
  private readonly ready = new Set<ResourceKey>();
  private readonly resolutions: ResolutionCache;
  private readonly statusWrites: Counter;
  private readonly restarts = new RestartLedger();
  /** Invalid restart annotations already reported, per host (reported again only when they change). */
  private readonly reportedInvalid = new Map<ResourceKey, string>();
  /** When the actions now in flight for a host began (ms): an interim status waits a moment (interim-status.ts). */
  private readonly roundStart = new Map<ResourceKey, number>();

  constructor(
    private readonly store: Store,
    hub: Pick<AgentHub, 'on' | 'dispatch'>,
    enqueue: (key: ResourceKey) => void,
    logger: Logger,
    registry: Registry,
    private readonly now: () => Date = () => new Date(),
    /** Directory mode's `berth restart` requests (the state directory's restart-requests file). */
    private readonly storedRestarts?: (key: ResourceKey) => StoredRestartRequest[],
    /** Issue 13: hosts' image updates by digest (spec.imageUpdates). */
    private readonly images?: HostImageFollower,
    /** The spec hashes' HMAC key (tokens/spec-hash-key.ts); absent: the unkeyed hashes of earlier releases. */
    hashKey?: Buffer,
  ) {
    this.resolutions = new ResolutionCache((ns, name) => store.secret(ns, name), (ns, name) => store.configMap(ns, name), hashKey);
    this.statusWrites = new Counter({ name: 'berth_status_writes_total', help: 'ContainerHost status writes (only when changed)', registers: [registry] });
    this.dispatcher = new ActionDispatcher({
      hub, store, enqueue, logger, registry, now,
      dropObserved: (key, name) => this.inventory.dropObserved(key, name),
      restarted: (key, name, at) => {
        this.restarts.mark(key, name, at);
        store.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'Restarted', message: `${name}: restarted for the request of ${at} (same container, spec unchanged)` });
      },
    });
    this.inventory = new AgentInventory({
      hub, enqueue, now, recordEvent: (kind, key, event) => store.recordEvent(kind, key, event),
      onConnectionChange: (key, change) => this.dispatcher.connectionChanged(key, change),
      declared: (key) => new Set(declaredNames(store.host(key), store.sets()) ?? []),
    });
    // Read at scrape time: "how many hosts are Ready" is what an operator alerts on, and what
    // bench/scale waits for without listing thousands of statuses.
    const ready = this.ready;
    new Gauge({ name: 'berth_hosts_ready', help: 'ContainerHosts whose Ready condition is True', registers: [registry], collect() { this.set(ready.size); } });
    new Gauge({ name: 'berth_hosts', help: 'ContainerHosts the controller knows', registers: [registry], collect() { this.set(store.hosts().length); } });
  }

  /** `signal` (leadership lost, stopping) is checked before each side effect: finalizer, dispatch, status. */
  async reconcile(key: ResourceKey, signal: AbortSignal): Promise<ReconcileResult> {
    const host = this.store.host(key);
    if (!host) { this.forget(key); return {}; }
    const outcome = await finalizer(host, {
      ensure: () => this.store.ensureFinalizer(key),
      remove: () => this.store.removeFinalizer(key),
    }, {
      apply: async () => { const pass = await this.pass(key, host, signal); return pass.done ? {} : pass.result; },
      cleanup: async () => {
        const pass = await this.pass(key, host, signal);
        if (!pass.done) return pass;
        signal.throwIfAborted();
        this.store.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'CleanedUp', message: host.spec.removalPolicy === 'Orphan' ? 'containers left running (removalPolicy Orphan)' : 'managed containers removed' });
        return { done: true };
      },
      forced: () => this.store.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'ForceDeleted', message: `${ANNOTATIONS.forceDelete}: containers were left as they are` }),
    }, signal);
    // Cleaned up: nothing of the host is left to remember. (Force-deleted: it goes on its own.)
    if (outcome.phase === 'released') { if (!outcome.forced) this.forget(key); return {}; }
    return outcome.result;
  }

  /** Resolve → plan → dispatch → status. */
  private async pass(key: ResourceKey, declared: ContainerHost, signal: AbortSignal): Promise<Pass> {
    // The host's own containers plus those its ContainerSets gave it (at the revision each gave it).
    const merged = mergeSetContainers(declared, this.store.sets());
    const host = merged.host;
    const deleting = host.metadata.deletionTimestamp !== undefined;
    const agent = this.inventory.view(key);
    const resolution = this.resolve(key, host, agent.containers, merged.fingerprint);
    const { unresolved } = resolution;
    // Containers of an earlier release keep their unkeyed hash until their spec changes.
    const { desired, keyedFor } = adoptLegacyHashes(resolution.desired, resolution.legacy, agent.containers);

    // Containers whose last action failed wait out their backoff before the next try.
    const nowMs = this.now().getTime();
    const backingOff = this.dispatcher.backingOff(key, nowMs);
    const docker = agent.docker;
    const canAct = agent.connected && (docker === undefined || docker.ok);
    const restarts = this.pendingRestarts(key, host, canAct ? agent.containers : undefined);
    const deps = dependencyInputs(host);
    const result = plan({
      ...deps.plan,
      desired, unresolved: new Set(unresolved.keys()),
      observed: canAct ? (agent.containers ?? []) : undefined,
      inFlight: this.dispatcher.inFlight(key), backingOff: new Set(backingOff.keys()),
      paused: host.spec.paused, deleting, removalPolicy: host.spec.removalPolicy, restarts,
    });
    for (const action of result.actions) { signal.throwIfAborted(); this.dispatcher.dispatch(key, host, action); }
    // Only an inventory the planner could act on says that a gap closed by itself.
    if (canAct && !host.spec.paused) this.dispatcher.settled(key, result.pending);

    const inFlight = this.dispatcher.inFlight(key);
    if (inFlight.size === 0) this.roundStart.delete(key);
    else if (!this.roundStart.has(key)) this.roundStart.set(key, nowMs);
    if (deleting && result.cleanupDone && inFlight.size === 0) return { done: true };

    const computed = computeHostStatus({
      host, agent, desired, unresolved, inFlight, failures: this.dispatcher.failures(key), now: this.now().toISOString(),
      waiting: result.waiting, dependencyProblems: deps.problems,
    });
    const status = withSetCollisions(this.restarts.annotate(key, computed.containers ? { ...computed, containers: showKeyed(computed.containers, keyedFor) } : computed, host.status),
      merged.collisions, host.metadata.generation, this.now().toISOString(), host.status);
    const isReady = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    if (isReady) this.ready.add(key);
    else this.ready.delete(key);
    const wasReady = host.status?.observedGeneration === host.metadata.generation && host.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
    const hold = interimStatusWait({ ready: isReady, wasReady, deleting, inFlight: inFlight.size, failures: this.dispatcher.failures(key).size, dispatchedAtMs: this.roundStart.get(key), nowMs });
    if (hold === 0 && this.statusChanged(host.status, status)) {
      signal.throwIfAborted();
      await this.store.writeHostStatus(key, status);
      this.statusWrites.inc();
    }
    // Health checks settle on their own schedule; look again while any is starting.
    const settling = status.containers?.some((c) => c.health === 'starting') ? HEALTH_SETTLING_MS : Infinity;
    // (Asked again: settled() may have dropped a backoff whose gap closed by itself.)
    const nextRetry = Math.min(...[...this.dispatcher.backingOff(key, nowMs).values()].map((at) => at - nowMs));
    const after = Math.min(settling, nextRetry, hold || Infinity);
    return { done: false, result: Number.isFinite(after) ? { requeueAfterMs: Math.max(1, after) } : {} };
  }

  /**
   * What `pass` would plan from, for the read-only API (GET /api/v1/hosts/NS/NAME/observed): the
   * agent's inventory and the live spec as resolved, spec hashes only. Undefined: no such host.
   */
  observed(key: ResourceKey): ObservedHostView | undefined {
    const declared = this.store.host(key);
    if (!declared) return undefined;
    const merged = mergeSetContainers(declared, this.store.sets());
    const host = merged.host;
    const agent = this.inventory.view(key);
    const resolution = this.resolve(key, host, agent.containers, merged.fingerprint);
    const { unresolved } = resolution;
    // Containers of an earlier release keep their unkeyed hash until their spec changes.
    const { desired, keyedFor } = adoptLegacyHashes(resolution.desired, resolution.legacy, agent.containers);
    const canAct = agent.connected && (agent.docker === undefined || agent.docker.ok);
    return {
      namespace: host.metadata.namespace, name: host.metadata.name, generation: host.metadata.generation, canAct,
      // What the planner compares, except that no unkeyed hash of a secret-bearing spec is shown.
      containers: agent.containers ? showKeyed(agent.containers, keyedFor) : null,
      desired: showKeyed([...desired.values()].map((s) => ({ name: s.name, specHash: s.specHash })), keyedFor),
      unresolved: [...unresolved].map(([name, message]) => ({ name, message })),
      inFlight: [...this.dispatcher.inFlight(key)],
      backingOff: [...this.dispatcher.backingOff(key, this.now().getTime()).keys()],
    };
  }

  /**
   * Restart requests not yet done. A running container that started at or after its request (just
   * created, or restarted by someone else) has it done without a restart.
   */
  private pendingRestarts(key: ResourceKey, host: ContainerHost, observed: readonly ObservedContainer[] | undefined): ReturnType<RestartLedger['pending']> {
    const { requests, invalid } = restartRequests(host, this.storedRestarts?.(key));
    const text = invalid.join('; ');
    if (text && this.reportedInvalid.get(key) !== text) this.store.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'InvalidRestartRequest', message: `ignored: ${text}` });
    if (text) this.reportedInvalid.set(key, text); else this.reportedInvalid.delete(key);
    const pending = this.restarts.pending(key, requests, host.status);
    for (const [name, r] of pending) {
      const o = observed?.find((c) => c.name === name);
      if (o?.state === 'running' && startedSince(o, r)) { this.restarts.mark(key, name, r.at); pending.delete(name); }
    }
    return pending;
  }

  /** The host is gone from the store, or cleaned up and about to be. */
  /** The host's containers resolved, followed images pinned; one waiting for its digest is held as unresolved. */
  private resolve(key: ResourceKey, host: ContainerHost, observed: readonly ObservedContainer[] | undefined, variant: string): Resolution {
    if (!this.images) return this.resolutions.resolve(key, host, variant);
    const pins = this.images.pins(key, host, observed);
    const resolution = this.resolutions.resolve(key, pins.host, pins.variant ? `${variant}|${pins.variant}` : variant);
    if (pins.pending.size === 0) return resolution;
    const desired = new Map(resolution.desired);
    for (const name of pins.pending.keys()) desired.delete(name);
    return { desired, unresolved: new Map([...resolution.unresolved, ...pins.pending]), legacy: resolution.legacy };
  }

  private forget(key: ResourceKey): void {
    this.images?.forget(key);
    this.restarts.forget(key);
    this.reportedInvalid.delete(key);
    this.roundStart.delete(key);
    this.inventory.forget(key);
    this.dispatcher.forget(key);
    this.ready.delete(key);
    this.resolutions.delete(key);
  }

  private statusChanged(before: ContainerHostStatus | undefined, after: ContainerHostStatus): boolean {
    if (!before) return true;
    // Same key order (what this reconciler wrote last) is the common case and JSON.stringify is
    // several times faster; only a difference needs the order-insensitive comparison. lastSeenAt
    // is compared like any field: it is only in status while the agent is away (status.ts).
    return JSON.stringify(before) !== JSON.stringify(after) && canonicalJson(before) !== canonicalJson(after);
  }
}
