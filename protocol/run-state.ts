// The one run-state rule (DESIGN §3 "Apply on the agent"): for a managed container whose spec hash
// already matches, what single Docker operation brings it to the desired state. The controller's
// planner and status ("is this container converged?") and the agent's executor ("what do I do?")
// both ask this function, so the controller can never think a host converged while its agent would
// act, or the reverse. Pure; no Docker, no clock.
//
// Decisions, each deliberate (the table test in run-state.test.ts covers every Docker state × desired
// state × restart policy):
//  - Desired Running, the container has run and exited, restart policy Never or OnFailure: it
//    COMPLETED — a batch job, a migration — and Docker was told not to restart it (Never) or only on
//    failure (OnFailure; a failed exit is restarted by Docker itself and shows as `restarting`).
//    Starting it again would turn every resync into a re-run of the job, so it is left exited and
//    reported as such; a new spec hash recreates and runs it again, as a new Pod would in Kubernetes.
//    "Has run" means Docker's StartedAt is set: a container whose start failed never ran its job.
//  - With Always/UnlessStopped an exited container is started: an out-of-band `docker stop` is drift
//    that Berth undoes (Docker would not restart an unless-stopped container stopped by hand).
//  - `paused` is up in Docker's sense (its processes and memory are still there): declared Stopped,
//    it is stopped; declared Running, it is unpaused.
//  - `dead` is a container Docker failed to remove. It cannot be started or trusted to report how it
//    ended, so declared Running it is replaced (whatever the restart policy); declared Stopped, nothing
//    runs, so nothing is done.
//  - `removing` is on its way out: no operation now (it would race Docker), but not converged either.
//    The destroy event brings a fresh inventory without it, and the planner then creates it anew.
import type { DesiredState, DockerState, ObservedContainer, RestartPolicy } from './container.js';

/** 'wait': no operation now, and not converged (the container is in a transition Docker owns). */
export type RunStateAction = 'none' | 'start' | 'stop' | 'unpause' | 'recreate' | 'wait';

export interface RunStateView {
  status: DockerState;
  /** Whether the container was ever started (Docker's StartedAt is not the zero time). */
  hasRun: boolean;
}

export function runStateAction(desired: DesiredState, restartPolicy: RestartPolicy, c: RunStateView): RunStateAction {
  if (c.status === 'removing') return 'wait';
  if (desired === 'Stopped') {
    return c.status === 'running' || c.status === 'restarting' || c.status === 'paused' ? 'stop' : 'none';
  }
  switch (c.status) {
    case 'running':
    case 'restarting':   // Docker's restart policy is at work; starting it would race Docker
      return 'none';
    case 'paused':
      return 'unpause';
    case 'created':
      return 'start';
    case 'dead':
      return 'recreate';
    case 'exited':
      return c.hasRun && (restartPolicy === 'Never' || restartPolicy === 'OnFailure') ? 'none' : 'start';
  }
}

/** The run-state view of a container as an agent reports it (the agent leaves out Docker's zero times). */
export function observedRunView(o: Pick<ObservedContainer, 'state' | 'startedAt'>): RunStateView {
  return { status: o.state, hasRun: o.startedAt !== undefined };
}

/** True when the container needs no operation to be in its desired run state. */
export function runStateConverged(
  spec: { state: DesiredState; restartPolicy: RestartPolicy }, o: Pick<ObservedContainer, 'state' | 'startedAt'>,
): boolean {
  return runStateAction(spec.state, spec.restartPolicy, observedRunView(o)) === 'none';
}
