// Declarative restarts (`berth restart`, like `kubectl rollout restart`): a restart request is a
// time — "restart what started before this" — in an annotation of the ContainerHost
// (`berth.dev/restartedAt` for every container, `restart.berth.dev/<container>` for one), or, in
// directory mode, a request the controller keeps in its state directory (restart-requests.ts).
// The spec, and so the spec hash, never changes: the container is restarted in place (stop + start),
// never recreated.
//
// Exactly once, whatever the clocks: a request is done when the container's status records it
// (`status.containers[].restartedFor`, persisted by both stores, so a controller restart or a resync
// does not restart again), and a container that started at or after the request's time (e.g. it was
// just created) counts as done without a restart. The agent restarts only a container whose
// StartedAt is still the one the controller saw (a compare-and-swap), so a repeated frame is harmless.
import type { ObservedContainer } from '../../protocol/container.js';
import type { ContainerHost, ContainerHostStatus, ResourceKey } from '../api/types.js';

export const RESTART_ANNOTATIONS = {
  /** Every container started before this RFC 3339 time is restarted once. */
  all: 'berth.dev/restartedAt',
  /** `restart.berth.dev/<container>`: the same for one container. */
  containerPrefix: 'restart.berth.dev/',
  /** Who asked (written by `berth restart` from the apiserver's SelfSubjectReview); shown in the Event. */
  by: 'berth.dev/restartedBy',
} as const;

/** A request kept outside the resource (directory mode's `berth restart`). */
export interface StoredRestartRequest { at: string; by?: string; container?: string }

export interface RestartRequest { at: string; atMs: number; by?: string; source: string }

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Parse an RFC 3339 time; undefined when it is not one. */
export function restartTime(value: string): number | undefined {
  if (!RFC3339.test(value.trim())) return undefined;
  const ms = Date.parse(value.trim());
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * The newest request that applies to each declared container, and the annotations that are not
 * RFC 3339 times (ignored, reported as a Warning by the caller).
 */
export function restartRequests(host: ContainerHost, stored: readonly StoredRestartRequest[] = []): { requests: Map<string, RestartRequest>; invalid: string[] } {
  const names = (host.spec.containers ?? []).map((c) => c.name);
  const requests = new Map<string, RestartRequest>();
  const invalid: string[] = [];
  const annotations = host.metadata.annotations ?? {};
  const by = annotations[RESTART_ANNOTATIONS.by]?.slice(0, 256);
  const offer = (name: string, at: string, source: string, who: string | undefined) => {
    const atMs = restartTime(at);
    if (atMs === undefined) { invalid.push(`${source}: "${at.slice(0, 64)}" is not an RFC 3339 time`); return; }
    const current = requests.get(name);
    if (!current || atMs > current.atMs) requests.set(name, { at: at.trim(), atMs, source, ...(who ? { by: who } : {}) });
  };
  for (const [key, value] of Object.entries(annotations)) {
    if (key === RESTART_ANNOTATIONS.all) for (const n of names) offer(n, value, key, by);
    else if (key.startsWith(RESTART_ANNOTATIONS.containerPrefix)) {
      const n = key.slice(RESTART_ANNOTATIONS.containerPrefix.length);
      if (names.includes(n)) offer(n, value, key, by);
    }
  }
  for (const r of stored) {
    for (const n of r.container ? [r.container] : names) if (names.includes(n)) offer(n, r.at, 'berth restart', r.by);
  }
  return { requests, invalid };
}

/** Whether the container already started at or after the request (nothing to do for it). */
export function startedSince(o: Pick<ObservedContainer, 'startedAt'> | undefined, r: RestartRequest): boolean {
  const started = o?.startedAt ? Date.parse(o.startedAt) : NaN;
  return Number.isFinite(started) && started >= r.atMs;
}

/** What each host's containers were last restarted for (`restartedFor`), seeded from status after a controller restart. */
export class RestartLedger {
  private readonly done = new Map<ResourceKey, Map<string, string>>();

  /** The request time container NAME was last restarted for, if any. */
  restartedFor(key: ResourceKey, name: string, status: ContainerHostStatus | undefined): string | undefined {
    return this.done.get(key)?.get(name) ?? status?.containers?.find((c) => c.name === name)?.restartedFor;
  }

  /** Requests not yet done, by container (the planner's input). */
  pending(key: ResourceKey, requests: ReadonlyMap<string, RestartRequest>, status: ContainerHostStatus | undefined): Map<string, RestartRequest> {
    const out = new Map<string, RestartRequest>();
    for (const [name, r] of requests) {
      const done = this.restartedFor(key, name, status);
      const doneMs = done === undefined ? undefined : restartTime(done);
      if (doneMs === undefined || doneMs < r.atMs) out.set(name, r);
    }
    return out;
  }

  mark(key: ResourceKey, name: string, at: string): void {
    let m = this.done.get(key);
    if (!m) { m = new Map(); this.done.set(key, m); }
    m.set(name, at);
  }

  /** STATUS with `restartedFor` on every container that has one. */
  annotate(key: ResourceKey, status: ContainerHostStatus, previous: ContainerHostStatus | undefined): ContainerHostStatus {
    if (!status.containers) return status;
    return {
      ...status,
      containers: status.containers.map((c) => {
        const at = this.restartedFor(key, c.name, previous);
        return at ? { ...c, restartedFor: at } : c;
      }),
    };
  }

  forget(key: ResourceKey): void { this.done.delete(key); }
}
