// How a set's containers are doing on one host at the revision the rollout gave it, from the
// host's status (what its agent reports, as the host reconciler summed it up). Pure.
//   available   every container at the revision's spec hash, running and ready (healthy where a
//               healthcheck is declared) for minReadySeconds, not restarted in that window
//   failed      at the revision's spec hash but exited, unhealthy, or restarting in a loop
//   progressing anything else (not created yet, pulling, an apply error being retried, no agent):
//               the progress deadline decides when that is a failure
import type { ContainerHost } from '../api/types.js';
import type { HostHealth } from './set-rollout.js';

/** Restarts at the new revision that make a restart loop (Docker's own count for the container). */
export const RESTART_LOOP = 2;

export interface HealthInput {
  host: ContainerHost | undefined;
  /** The set's container names applied on this host (collisions left out). */
  containers: readonly string[];
  /** The spec hash each container has at the revision (undefined: it could not be resolved; the message says why). */
  expected: (name: string) => { hash: string } | { message: string };
  minReadySeconds: number;
  nowMs: number;
  /** When this controller first saw the container ready at this hash (the agent reports only startedAt). */
  firstReady: (name: string, hash: string) => number;
}

export function hostHealth(i: HealthInput): HostHealth {
  const status = i.host?.status;
  const connected = status?.conditions?.find((c) => c.type === 'AgentConnected')?.status === 'True';
  if (!i.host) return { state: 'progressing', message: 'host not found' };
  if (!connected) return { state: 'progressing', message: 'agent not connected' };
  let availableAt = 0;
  for (const name of i.containers) {
    const want = i.expected(name);
    if (!('hash' in want)) return { state: 'progressing', message: `${name}: ${want.message}` };
    const c = status?.containers?.find((x) => x.name === name);
    if (!c || c.specHash !== want.hash) return { state: 'progressing', message: `${name}: ${c?.message ?? 'waiting to be created'}` };
    if (c.state === 'Exited' || c.state === 'Stopped') {
      return { state: 'failed', container: name, message: `exited${c.exitCode !== undefined ? ` with code ${c.exitCode}` : ''}${c.message ? `: ${c.message}` : ''}` };
    }
    if (c.health === 'unhealthy') return { state: 'failed', container: name, message: `healthcheck failing${c.message ? `: ${c.message}` : ''}` };
    if (c.state === 'Restarting' || (!c.ready && (c.restartCount ?? 0) >= RESTART_LOOP)) {
      return { state: 'failed', container: name, message: `restarting in a loop (${c.restartCount ?? 0} restarts)` };
    }
    if (!c.ready) return { state: 'progressing', message: `${name}: ${c.message ?? (c.health === 'starting' ? 'healthcheck starting' : c.state)}` };
    const started = Date.parse(c.startedAt ?? '');
    availableAt = Math.max(availableAt, Number.isFinite(started) ? started : 0, i.firstReady(name, want.hash));
  }
  availableAt += i.minReadySeconds * 1000;
  return i.nowMs >= availableAt ? { state: 'available' } : { state: 'ready', availableAt };
}
