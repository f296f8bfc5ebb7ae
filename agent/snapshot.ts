// What the agent reports in hello and observed: Docker facts and the managed-container inventory,
// bounded in time. The controller closes a connection whose hello does not arrive within seconds
// (4004), so a wedged dockerd must become "Docker unavailable", not a silent agent.
import type { DockerFacts, ObservedContainer } from '../protocol/container.js';
import { errorMessage, type ContainerRuntime } from './runtime.js';

export interface Snapshot { docker: DockerFacts; containers: ObservedContainer[] }

export async function snapshot(runtime: ContainerRuntime, limitMs: number): Promise<Snapshot> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Snapshot>((resolve) => {
    timer = setTimeout(() => resolve({ docker: { ok: false, error: `Docker did not answer within ${limitMs / 1000} s` }, containers: [] }), limitMs);
  });
  try { return await Promise.race([readSnapshot(runtime), late]); } finally { clearTimeout(timer); }
}

async function readSnapshot(runtime: ContainerRuntime): Promise<Snapshot> {
  let docker: DockerFacts;
  try { docker = await runtime.dockerFacts(); } catch (err) {
    docker = { ok: false, error: errorMessage(err).slice(0, 8192) };   // the contract says never; be safe
  }
  if (!docker.ok) return { docker, containers: [] };
  try {
    return { docker, containers: await runtime.inventory() };
  } catch (err) {
    return { docker: { ok: false, error: errorMessage(err).slice(0, 8192) }, containers: [] };
  }
}
