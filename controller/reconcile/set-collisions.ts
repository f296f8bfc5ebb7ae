// The host's side of a ContainerSet name collision: a `SetConflict` condition on the host saying
// which set containers are not applied there and who holds the name (the set's side is in its
// status.hostStatuses). Absent when nothing collides, so hosts without sets keep their status as is.
import type { ContainerHostStatus } from '../api/types.js';
import type { MergedHost } from './set-merge.js';

export const SET_CONFLICT = 'SetConflict';

export function withSetCollisions(status: ContainerHostStatus, collisions: MergedHost['collisions'], generation: number, now: string, previous?: ContainerHostStatus): ContainerHostStatus {
  const others = (status.conditions ?? []).filter((c) => c.type !== SET_CONFLICT);
  if (!collisions.length) return others.length === (status.conditions ?? []).length ? status : { ...status, conditions: others };
  const message = collisions.map((c) => `ContainerSet ${c.set}: container "${c.container}" not applied, the name is taken by ${c.takenBy}`).join('; ');
  const before = previous?.conditions?.find((c) => c.type === SET_CONFLICT);
  return {
    ...status,
    conditions: [...others, {
      type: SET_CONFLICT, status: 'True', reason: 'NameTaken', message, observedGeneration: generation,
      lastTransitionTime: before?.status === 'True' ? before.lastTransitionTime : now,
    }],
  };
}
