// Reconciles one ContainerSet: which hosts it selects, how its containers are doing on each at the
// revision each was given (set-health.ts), the next step of the rollout (set-rollout.ts, pure), and
// the status that records it. The status IS the rollout's memory: it is written (durably) before
// any host acts on a new assignment — hosts read their set revision from it (set-merge.ts) — so a
// restart or a new leader resumes the rollout exactly where it was and never updates a host twice.
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { keyOf, type ContainerHost, type ContainerSet, type ContainerSetStatus, type ResourceKey } from '../api/types.js';
import { canonicalJson } from '../lib/canonical-json.js';
import type { Store } from '../store/store.js';
import type { Reconciler, ReconcileResult } from './loop.js';
import { pullAuthFrom, resolveContainer } from './resolve.js';
import { hostHealth } from './set-health.js';
import { collisionsOf, revisionOf, setContainer, setSelectsHost } from './set-merge.js';
import { stepRollout, type HostHealth } from './set-rollout.js';
import { setConditions } from './set-status.js';
import { imagesToWatch, pinTemplate } from '../images/pin-template.js';
import type { ImageDigests, WatchedImage } from '../images/digest-poller.js';

/** The digest poller as the set reconciler uses it (controller/images/digest-poller.ts). */
export interface SetImageDigests extends ImageDigests {
  track(owner: string, images: WatchedImage[]): void;
}

/** While hosts converge, look again at least this often (host status changes also enqueue the set). */
const CONVERGING_RECHECK_MS = 5000;

export class SetReconciler implements Reconciler<ResourceKey> {
  /** "<set>/<host>/<container>/<hash>" → when first seen ready (minReadySeconds counts from it). */
  private readonly firstReady = new Map<string, number>();
  private readonly degraded: Gauge<'namespace' | 'name'>;

  constructor(
    private readonly store: Store,
    /** Hosts whose desired containers changed because of this set: look at them now. */
    private readonly enqueueHost: (key: ResourceKey) => void,
    private readonly logger: Logger,
    registry: Registry,
    private readonly now: () => Date = () => new Date(),
    /** imageUpdates.policy: Poll — a revision pins each tag's digest (absent: tags are not followed). */
    private readonly images?: SetImageDigests,
    /** The spec hashes' HMAC key (tokens/spec-hash-key.ts): the host reconciler hashes with it, so the expected hashes must too. */
    private readonly hashKey?: Buffer,
  ) {
    this.degraded = new Gauge({
      name: 'berth_containerset_degraded', help: 'Whether a ContainerSet reports Degraded=True (a rollout failed: rolled back or paused), 1 or 0',
      labelNames: ['namespace', 'name'], registers: [registry],
    });
  }

  async reconcile(key: ResourceKey, signal: AbortSignal): Promise<ReconcileResult> {
    const set = this.store.set(key);
    if (!set || set.metadata.deletionTimestamp) { this.forget(key, set); return {}; }
    const nowMs = this.now().getTime();
    const sets = this.store.sets();
    const hosts = this.store.hosts().filter((h) => setSelectsHost(set, h));
    const byName = new Map(hosts.map((h) => [h.metadata.name, h]));
    const pinned = this.pinned(key, set);
    if (!pinned.ok) {
      // No digest yet for some tag: never roll out an unpinned template; the last revision stays.
      this.logger.debug({ set: key, message: pinned.message }, 'holding the set until its image digests are known');
      if (!set.status?.updateRevision) return { requeueAfterMs: CONVERGING_RECHECK_MS };
    }
    const held = !pinned.ok ? set.status?.revisions?.find((r) => r.name === set.status?.updateRevision)?.template : undefined;
    const template = pinned.ok ? pinned.template : held ?? set.spec.template;
    const updateRevision = revisionOf(template);
    const expected = this.expectedHashes(set, updateRevision);
    const collisions = new Map(hosts.map((h) => [h.metadata.name, collisionsOf(set, h, sets)]));
    const health = (name: string, revision: string): HostHealth => {
      const host = byName.get(name);
      const rev = revision === updateRevision ? template : set.status?.revisions?.find((r) => r.name === revision)?.template;
      if (!rev) return { state: 'progressing', message: `revision ${revision} is no longer kept` };
      const taken = new Set(collisions.get(name) ?? []);
      const names = rev.containers.filter((c) => !taken.has(c.name) && c.state !== 'Stopped').map((c) => c.name);
      return hostHealth({
        host, containers: names, minReadySeconds: set.spec.updateStrategy.rollingUpdate.minReadySeconds, nowMs,
        expected: (c) => expected(revision, rev.containers.find((d) => d.name === c)!),
        firstReady: (c, hash) => this.seenReady(`${key}/${name}/${c}/${hash}`, nowMs),
      });
    };
    const out = stepRollout({
      generation: set.metadata.generation, spec: set.spec, previous: set.status, updateRevision, template,
      hosts: hosts.map((h) => h.metadata.name), health, collisions: (h) => collisions.get(h), nowMs,
    });
    const nowIso = new Date(nowMs).toISOString();
    const status: ContainerSetStatus = {
      observedGeneration: set.metadata.generation, ...out.status,
      conditions: setConditions(set.spec, out.status, set.metadata.generation, nowIso, set.status?.conditions),
    };
    const left = (set.status?.hostStatuses ?? []).filter((h) => !byName.has(h.host)).map((h) => h.host);
    if (canonicalJson(status) !== canonicalJson(set.status ?? null)) {
      signal.throwIfAborted();
      await this.store.writeSetStatus(key, status);
    }
    // Only now, with the assignment stored, may the hosts act on it.
    for (const a of out.assigned) this.enqueueHost(`${set.metadata.namespace}/${a.host}`);
    for (const h of left) this.enqueueHost(`${set.metadata.namespace}/${h}`);
    if (out.transition) this.store.recordEvent('ContainerSet', key, out.transition);
    if (out.assigned.length) this.logger.info({ set: key, hosts: out.assigned.length, revision: out.assigned[0]!.revision }, 'hosts given a revision');
    this.degraded.set({ namespace: set.metadata.namespace, name: set.metadata.name }, status.conditions?.some((c) => c.type === 'Degraded' && c.status === 'True') ? 1 : 0);
    const converging = status.rollout?.phase === 'Progressing' || status.rollout?.phase === 'RollingBack' || status.rollout?.phase === 'Paused';
    const after = Math.min(out.requeueAfterMs ?? Infinity, converging ? CONVERGING_RECHECK_MS : Infinity);
    return Number.isFinite(after) ? { requeueAfterMs: after } : {};
  }

  /** The template a revision is made of: the spec's, with tags pinned to digests under imageUpdates Poll. */
  private pinned(key: ResourceKey, set: ContainerSet): { ok: true; template: ContainerSet['spec']['template'] } | { ok: false; message: string } {
    const owner = `ContainerSet/${key}`;
    const poll = set.spec.imageUpdates?.policy === 'Poll' && this.images;
    if (!poll) { this.images?.track(owner, []); return { ok: true, template: set.spec.template }; }
    const intervalSeconds = set.spec.imageUpdates!.intervalSeconds;
    // The set's own imagePullSecrets answer the registry (the hosts' are for their pulls).
    const ns = set.metadata.namespace;
    const secrets = (n: string, name: string) => this.store.secret(n, name);
    this.images!.track(owner, imagesToWatch(set.spec.template.containers).map((image) => {
      const auth = pullAuthFrom(ns, set.spec.imagePullSecrets, image, secrets);
      return { image, intervalSeconds, ...(auth ? { auth } : {}) };
    }));
    const p = pinTemplate(set.spec.template.containers, this.images!);
    return p.ok ? { ok: true, template: { containers: p.containers } } : { ok: false, message: p.message };
  }

  /** The spec hash each revision's container has once labelled and resolved (the same for every host of the namespace). */
  private expectedHashes(set: ContainerSet, _update: string): (revision: string, decl: ContainerSet['spec']['template']['containers'][number]) => { hash: string } | { message: string } {
    const memo = new Map<string, { hash: string } | { message: string }>();
    const ns = set.metadata.namespace;
    const setKey = keyOf(set.metadata);
    return (revision, decl) => {
      const id = `${revision}/${decl.name}`;
      let r = memo.get(id);
      if (!r) {
        const resolved = resolveContainer(setContainer(decl, setKey, revision), ns, (n, name) => this.store.secret(n, name), (n, name) => this.store.configMap(n, name), this.hashKey);
        r = resolved.ok ? { hash: resolved.spec.specHash } : { message: `${resolved.reason}: ${resolved.message}` };
        memo.set(id, r);
      }
      return r;
    };
  }

  private seenReady(id: string, nowMs: number): number {
    let at = this.firstReady.get(id);
    if (at === undefined) { at = nowMs; this.firstReady.set(id, at); }
    return at;
  }

  private forget(key: ResourceKey, set: ContainerSet | undefined): void {
    this.images?.track(`ContainerSet/${key}`, []);
    const { namespace, name } = { namespace: key.slice(0, key.indexOf('/')), name: key.slice(key.indexOf('/') + 1) };
    this.degraded.remove({ namespace, name });
    for (const id of [...this.firstReady.keys()]) if (id.startsWith(`${key}/`)) this.firstReady.delete(id);
    // Its hosts drop its containers on their next reconcile.
    for (const h of set?.status?.hostStatuses ?? []) this.enqueueHost(`${namespace}/${h.host}`);
  }

  /** The hosts a set change may concern (selected now, or carrying it still). */
  static hostsOf(store: Store, setKey: ResourceKey): ResourceKey[] {
    const ns = setKey.slice(0, setKey.indexOf('/'));
    return store.hosts().filter((h: ContainerHost) => h.metadata.namespace === ns).map((h) => keyOf(h.metadata));
  }
}
