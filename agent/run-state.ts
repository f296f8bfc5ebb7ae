// Run-state convergence of an existing container whose spec hash already matches: what single
// Docker operation brings it to the desired state. Pure.
//
// The one judgement call: desired Running, the container has run and exited, and its restart policy
// is Never or OnFailure. Then the container COMPLETED — a batch job, a migration — and Docker was
// told not to restart it (Never) or only on failure (OnFailure; a failed exit is restarted by Docker
// itself and shows as `restarting`). Starting it again from the agent would turn every periodic
// resync into a re-run of the job and defeat the policy, so it is left exited and reported as such;
// changing the spec (a new hash) recreates and runs it again, as a new Pod would in Kubernetes.
// With Always/UnlessStopped an exited container is started: the declared state is Running, and an
// out-of-band `docker stop` is drift that Berth undoes (Docker itself would not restart an
// unless-stopped container that was stopped by hand, but Berth's declaration wins).
import type { DesiredState, DockerState, RestartPolicy } from '../protocol/container.js';

export type RunStateAction = 'none' | 'start' | 'stop' | 'unpause' | 'recreate';

export interface RunStateView {
  status: DockerState;
  /** Whether the container was ever started (Docker's StartedAt is not the zero time). */
  hasRun: boolean;
}

export function runStateAction(desired: DesiredState, restartPolicy: RestartPolicy, c: RunStateView): RunStateAction {
  if (desired === 'Stopped') {
    // A paused or restarting container is "up" in Docker's sense; stop covers both.
    return c.status === 'running' || c.status === 'restarting' || c.status === 'paused' ? 'stop' : 'none';
  }
  switch (c.status) {
    case 'running':
    case 'restarting':   // Docker's restart policy is at work; starting it would race Docker
    case 'removing':     // going away; the destroy event brings a fresh apply
      return 'none';
    case 'paused':
      return 'unpause';
    case 'created':
      return 'start';
    case 'dead':         // Docker cannot start a dead container (a failed removal); replace it
      return 'recreate';
    case 'exited':
      return c.hasRun && (restartPolicy === 'Never' || restartPolicy === 'OnFailure') ? 'none' : 'start';
  }
}

/** Docker's zero time for StartedAt/FinishedAt of a container that never started/finished. */
export function isDockerZeroTime(t: string | undefined): boolean {
  return !t || t.startsWith('0001-01-01');
}
