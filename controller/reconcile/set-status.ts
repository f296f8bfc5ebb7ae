// A ContainerSet's conditions from where its rollout is: Ready, Progressing, Degraded, and kstatus'
// Reconciling / Stalled (kstatus.ts) for GitOps tools and `kubectl wait --for=condition=Ready`.
// Pure: the clock comes in as `now`; the previous conditions only keep lastTransitionTime.
import type { Condition, ContainerSetSpec, ContainerSetStatus } from '../api/types.js';
import { progressConditions, type Progress } from './kstatus.js';

function condition(type: string, status: boolean, reason: string, message: string, generation: number, now: string, previous?: readonly Condition[]): Condition {
  const s = status ? 'True' : 'False';
  const before = previous?.find((c) => c.type === type);
  return { type, status: s, reason, message, observedGeneration: generation, lastTransitionTime: before && before.status === s ? before.lastTransitionTime : now };
}

export function setConditions(spec: ContainerSetSpec, status: Omit<ContainerSetStatus, 'conditions'>, generation: number, now: string, previous?: readonly Condition[]): Condition[] {
  const r = status.rollout;
  const hosts = status.hosts ?? 0;
  const counts = `${status.availableHosts ?? 0}/${hosts} hosts available, ${status.updatedHosts ?? 0} updated`;
  const failure = r?.failedHost ? `host ${r.failedHost}${r.failedContainer ? `, container ${r.failedContainer}` : ''}: ${r.message ?? ''}` : r?.message ?? '';
  const complete = r?.phase === 'Complete';
  const paused = spec.paused && r?.phase === 'Progressing';
  const ready = condition('Ready', complete, complete ? (hosts ? 'RolloutComplete' : 'NoHostsSelected') : r?.phase === 'Failed' || r?.phase === 'RollingBack' ? 'Degraded' : 'RolloutInProgress',
    complete ? counts : `${r?.phase ?? 'Progressing'}: ${counts}`, generation, now, previous);
  const progressingReason = paused ? 'Paused' : r?.phase === 'Paused' ? 'CanaryPaused' : r?.phase === 'RollingBack' ? 'RollingBack' : r?.phase === 'Progressing' ? 'RollingUpdate' : r?.phase === 'Failed' ? 'RolloutStopped' : 'RolloutComplete';
  const progressing = condition('Progressing', !paused && (r?.phase === 'Progressing' || r?.phase === 'RollingBack'), progressingReason, counts, generation, now, previous);
  const degradedReason = r?.phase === 'RollingBack' ? 'RollingBack' : r?.phase === 'Failed' ? (status.currentRevision === r.target && r.target !== status.updateRevision ? 'RolledBack' : 'RolloutFailed') : 'AsExpected';
  const degraded = condition('Degraded', r?.phase === 'Failed' || r?.phase === 'RollingBack', degradedReason,
    degradedReason === 'AsExpected' ? 'no failed revision' : failure, generation, now, previous);
  const progress: Progress = r?.phase === 'Failed' ? { state: 'stalled', reason: degradedReason, message: failure }
    : complete ? { state: 'settled', reason: 'Ready', message: counts }
      : paused || r?.phase === 'Paused' ? { state: 'settled', reason: 'Paused', message: `${progressingReason}: ${counts}` }
        : { state: 'reconciling', reason: progressingReason, message: counts };
  return [ready, progressing, degraded, ...progressConditions(progress, generation, now, previous)];
}
