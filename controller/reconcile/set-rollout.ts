// The ContainerSet rollout as a pure state machine: from the previous status (which holds every
// host's assigned revision, the kept revisions and where the rollout is), the spec, the selected
// hosts and their health at the revision each was given, compute the next status. The set
// reconciler writes that status BEFORE any host acts on it (hosts read their assignment from the
// set's status), so a controller restart or a leader change resumes from it and never gives a
// host a revision twice. Nothing here reads a clock, a store or a socket.
import type {
  ContainerDecl, ContainerSetSpec, ContainerSetStatus, SetHostStatus, SetRevision, SetRolloutState,
} from '../../protocol/resources.js';

/** A selected host's set containers at the revision it was given (judged by set-health.ts). */
export type HostHealth =
  | { state: 'available' }
  /** Running and ready, waiting out minReadySeconds (availableAt: when it will be available). */
  | { state: 'ready'; availableAt: number }
  | { state: 'progressing'; message: string }
  /** A restart loop, an exit, an unhealthy healthcheck: fails the rollout at once. */
  | { state: 'failed'; container: string; message: string };

export interface RolloutInput {
  generation: number;
  spec: ContainerSetSpec;
  previous: ContainerSetStatus | undefined;
  /** The hash of spec.template (digests pinned) and the template itself. */
  updateRevision: string;
  template: { containers: ContainerDecl[] };
  /** The selected hosts' names (any order). */
  hosts: readonly string[];
  /** Health of a host at the revision it had in `previous` (hosts new to the set are not asked). */
  health: (host: string, revision: string) => HostHealth;
  /** Collisions per host (set container names not applied there), for hostStatuses. */
  collisions?: (host: string) => string[] | undefined;
  nowMs: number;
}

export interface RolloutOutput {
  status: Omit<ContainerSetStatus, 'conditions' | 'observedGeneration'>;
  /** Hosts given a new revision in this step (to dispatch; reported in Events). */
  assigned: Array<{ host: string; revision: string }>;
  /** Look again after this long (the earliest minReadySeconds or progress deadline), if any. */
  requeueAfterMs?: number;
  /** What happened, for an Event: a failure, a rollback, a canary pause, completion. */
  transition?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/** maxUnavailable as a host count: a percent of `total` rounded up, never below 1. */
export function maxUnavailableCount(value: number | string, total: number): number {
  if (typeof value === 'number') return Math.max(1, value);
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new Error(`maxUnavailable: "${value}" is neither a count nor a percent`);
  return Math.max(1, Math.ceil((Number(m[1]) * total) / 100));
}

/** Keep the newest `limit` revisions not in use, plus every revision in use (oldest first). */
export function pruneRevisions(revisions: SetRevision[], inUse: ReadonlySet<string>, limit: number): SetRevision[] {
  const unused = revisions.filter((r) => !inUse.has(r.name));
  const drop = new Set(unused.slice(0, Math.max(0, unused.length - limit)).map((r) => r.name));
  return revisions.filter((r) => !drop.has(r.name));
}

export function stepRollout(input: RolloutInput): RolloutOutput {
  const { spec, previous, updateRevision, nowMs } = input;
  const now = new Date(nowMs).toISOString();
  let revisions = [...(previous?.revisions ?? [])];
  if (!revisions.some((r) => r.name === updateRevision)) {
    const number = Math.max(0, ...revisions.map((r) => r.number)) + 1;
    revisions.push({ name: updateRevision, number, template: input.template, createdAt: now });
  }
  const byRev = new Map(revisions.map((r) => [r.name, r]));
  const numberOf = (rev: string) => byRev.get(rev)?.number ?? 0;

  // Where the rollout is. A new template starts a new rollout, whatever the last one did.
  let rollout: SetRolloutState = previous?.rollout && previous.updateRevision === updateRevision
    ? { ...previous.rollout }
    : { phase: 'Progressing', target: updateRevision, startedAt: now };
  let currentRevision = previous?.currentRevision;
  let transition: RolloutOutput['transition'];

  // Assignments: hosts keep theirs; hosts new to the set get what the rollout aims at now
  // (after a failure with Pause, the last good revision when there is one).
  const prevByHost = new Map((previous?.hostStatuses ?? []).map((h) => [h.host, h]));
  const hosts = [...new Set(input.hosts)].sort();
  const entries = new Map<string, { revision: string; since: string; health: HostHealth; fresh: boolean }>();
  const assigned: RolloutOutput['assigned'] = [];
  const newHostRevision = () => (rollout.phase === 'Failed' && currentRevision) ? currentRevision : rollout.target;
  for (const host of hosts) {
    const prev = prevByHost.get(host);
    if (prev && byRev.has(prev.revision)) {
      entries.set(host, { revision: prev.revision, since: prev.since, health: input.health(host, prev.revision), fresh: false });
    } else {
      const revision = newHostRevision();
      entries.set(host, { revision, since: now, health: { state: 'progressing', message: 'given its revision' }, fresh: true });
      assigned.push({ host, revision });
    }
  }

  // Failure: a host given the target in this rollout that failed, or missed its deadline.
  if (rollout.phase === 'Progressing' || rollout.phase === 'Paused') {
    const deadlineMs = spec.updateStrategy.progressDeadlineSeconds * 1000;
    for (const [host, e] of entries) {
      if (e.revision !== rollout.target || e.health.state === 'available' || e.health.state === 'ready') continue;
      const late = e.health.state === 'progressing' && nowMs - Date.parse(e.since) >= deadlineMs;
      if (e.health.state !== 'failed' && !late) continue;
      const container = e.health.state === 'failed' ? e.health.container : undefined;
      const message = e.health.state === 'failed' ? e.health.message : `not available within progressDeadlineSeconds (${spec.updateStrategy.progressDeadlineSeconds}s): ${e.health.message}`;
      const good = currentRevision && currentRevision !== rollout.target ? currentRevision : undefined;
      const failed = { failedHost: host, ...(container ? { failedContainer: container } : {}), message };
      const what = `revision ${numberOf(rollout.target)} failed on host ${host}${container ? `, container ${container}` : ''}: ${message}`;
      if (spec.updateStrategy.failurePolicy === 'Rollback' && good) {
        rollout = { phase: 'RollingBack', target: good, ...failed, startedAt: now };
        transition = { type: 'Warning', reason: 'RollingBack', message: `${what}; rolling back to revision ${numberOf(good)}` };
      } else {
        rollout = { ...rollout, phase: 'Failed', ...failed };
        transition = { type: 'Warning', reason: 'RolloutFailed', message: `${what}; ${good ? 'paused (failurePolicy Pause)' : 'no earlier good revision to roll back to: paused'}` };
      }
      break;
    }
  }

  // Canary: after canary.hosts hosts are on the target, wait for a resume.
  const canary = spec.updateStrategy.canary;
  if (rollout.phase === 'Paused' && rollout.canaryHosts !== undefined) {
    // A new canary.hosts continues to that many; no canary (or no pause), or spec.paused set and
    // cleared again (any later generation with paused false), releases the rest.
    const newValue = canary?.pause === true && canary.hosts !== rollout.canaryHosts;
    const released = !canary?.pause || (input.generation > (rollout.pausedGeneration ?? 0) && !spec.paused && !newValue);
    if (newValue || released) {
      rollout = { phase: 'Progressing', target: rollout.target, ...(rollout.startedAt ? { startedAt: rollout.startedAt } : {}), ...(released ? { canaryReleased: true } : {}) };
      transition = { type: 'Normal', reason: 'Resumed', message: `rollout of revision ${numberOf(rollout.target)} resumed${newValue ? ` up to ${canary!.hosts} canary host(s)` : ''}` };
    }
  }

  // Give hosts the target, within maxUnavailable (and the canary's count).
  const canaryLimit = canary && rollout.phase === 'Progressing' && rollout.target === updateRevision && !rollout.canaryReleased ? canary.hosts : Infinity;
  if ((rollout.phase === 'Progressing' || rollout.phase === 'RollingBack') && !spec.paused) {
    const total = hosts.length;
    const budget = spec.updateStrategy.type === 'Recreate' ? Infinity : maxUnavailableCount(spec.updateStrategy.rollingUpdate.maxUnavailable, total);
    let unavailable = [...entries.values()].filter((e) => e.health.state !== 'available').length;
    let onTarget = [...entries.values()].filter((e) => e.revision === rollout.target).length;
    const behind = [...entries].filter(([, e]) => e.revision !== rollout.target);
    // Hosts whose set containers do not run anyway (not created, failing) first: updating them
    // costs no availability (as DaemonSet does). A host running but still waiting out
    // minReadySeconds is not free: replacing it would take a running container away.
    const free = (e: { health: HostHealth }) => e.health.state === 'progressing' || e.health.state === 'failed';
    behind.sort(([a, x], [b, y]) => Number(free(y)) - Number(free(x)) || (a < b ? -1 : 1));
    for (const [host, e] of behind) {
      if (onTarget >= canaryLimit) break;
      const wasAvailable = e.health.state === 'available';
      if (!free(e) && unavailable >= budget) break;
      entries.set(host, { revision: rollout.target, since: now, health: { state: 'progressing', message: 'given its revision' }, fresh: true });
      const already = assigned.findIndex((a) => a.host === host);
      if (already >= 0) assigned.splice(already, 1);
      assigned.push({ host, revision: rollout.target });
      if (wasAvailable) unavailable++;
      onTarget++;
    }
  }

  // Where that leaves the rollout. A completed one that is no longer done (a host joined, or one
  // became unavailable) is in progress again, towards the same revision.
  const all = [...entries.values()];
  const done = all.every((e) => e.revision === rollout.target && e.health.state === 'available');
  if (rollout.phase === 'Complete' && !done) rollout = { phase: 'Progressing', target: rollout.target, ...(rollout.startedAt ? { startedAt: rollout.startedAt } : {}), canaryReleased: true };
  if (rollout.phase === 'Progressing' && canaryLimit < hosts.length && canary?.pause && all.filter((e) => e.revision === rollout.target).length >= canaryLimit && !done) {
    rollout = { ...rollout, phase: 'Paused', canaryHosts: canary.hosts, pausedGeneration: input.generation };
    transition = { type: 'Normal', reason: 'CanaryPaused', message: `${canary.hosts} canary host(s) on revision ${numberOf(rollout.target)}: paused; resume with spec.paused true then false, or a new canary.hosts` };
  }
  if (done && (rollout.phase === 'Progressing' || rollout.phase === 'RollingBack' || rollout.phase === 'Paused')) {
    currentRevision = rollout.target;
    const rev = byRev.get(rollout.target);
    if (rev) byRev.set(rev.name, { ...rev, good: true });
    if (rollout.phase === 'RollingBack') {
      rollout = { ...rollout, phase: 'Failed' };
      transition = { type: 'Warning', reason: 'RolledBack', message: `rolled back to revision ${numberOf(rollout.target)} on every host; revision ${numberOf(updateRevision)} failed on host ${rollout.failedHost ?? '?'}: ${rollout.message ?? ''}` };
    } else {
      rollout = { phase: 'Complete', target: rollout.target, ...(rollout.startedAt ? { startedAt: rollout.startedAt } : {}) };
      if (previous?.rollout?.phase !== 'Complete') transition = { type: 'Normal', reason: 'RolloutComplete', message: `revision ${numberOf(updateRevision)} available on ${hosts.length} host(s)` };
    }
  }
  revisions = revisions.map((r) => byRev.get(r.name) ?? r);
  const inUse = new Set([updateRevision, rollout.target, ...(currentRevision ? [currentRevision] : []), ...all.map((e) => e.revision)]);
  revisions = pruneRevisions(revisions, inUse, spec.revisionHistoryLimit);

  const hostStatuses: SetHostStatus[] = hosts.map((host) => {
    const e = entries.get(host)!;
    const collisions = input.collisions?.(host);
    const message = e.health.state === 'failed' ? `${e.health.container}: ${e.health.message}` : e.health.state === 'progressing' ? e.health.message : e.health.state === 'ready' ? 'ready; waiting out minReadySeconds' : '';
    const withCollision = collisions?.length ? [message, `not applied here (name taken): ${collisions.join(', ')}`].filter(Boolean).join('; ') : message;
    return {
      host, revision: e.revision, ready: e.health.state === 'available' || e.health.state === 'ready', available: e.health.state === 'available', since: e.since,
      ...(withCollision ? { message: withCollision } : {}), ...(collisions?.length ? { collisions } : {}),
    };
  });
  const waits = all.flatMap((e) => e.health.state === 'ready' ? [e.health.availableAt - nowMs]
    : e.health.state === 'progressing' && !e.fresh ? [Date.parse(e.since) + spec.updateStrategy.progressDeadlineSeconds * 1000 - nowMs] : []);
  const requeue = waits.length ? Math.max(100, Math.min(...waits)) : undefined;
  return {
    status: {
      ...(currentRevision ? { currentRevision } : {}), updateRevision,
      hosts: hosts.length,
      updatedHosts: hostStatuses.filter((h) => h.revision === updateRevision).length,
      readyHosts: hostStatuses.filter((h) => h.ready).length,
      availableHosts: hostStatuses.filter((h) => h.available).length,
      hostStatuses, revisions, rollout,
    },
    assigned,
    ...(requeue !== undefined ? { requeueAfterMs: requeue } : {}),
    ...(transition ? { transition } : {}),
  };
}
