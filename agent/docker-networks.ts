// Managed networks: created with Berth's labels when a container joins one the host declares,
// removed once they left the declared list and no container is attached. A network without
// Berth's labels for this host is never created over, changed or removed: it is used by name.
import type Docker from 'dockerode';
import { LABELS, type ContainerSpec, type NetworkSpec } from '../protocol/container.js';
import { ignoring, orUndefinedOn404 } from './docker-errors.js';
import type { ManagedIdentity } from './docker-options.js';

export function networkLabels(n: NetworkSpec, id: ManagedIdentity): Record<string, string> {
  return { ...(n.labels ?? {}), [LABELS.managed]: 'true', [LABELS.host]: id.hostKey };
}

/** The create options of a declared network. */
export function networkCreateOptions(n: NetworkSpec, id: ManagedIdentity): Docker.NetworkCreateOptions {
  return {
    Name: n.name, Driver: n.driver, CheckDuplicate: true, Labels: networkLabels(n, id),
    ...(n.internal !== undefined ? { Internal: n.internal } : {}),
    ...(n.ipv6 !== undefined ? { EnableIPv6: n.ipv6 } : {}),
    ...(n.subnet !== undefined ? { IPAM: { Driver: 'default', Config: [{ Subnet: n.subnet }] } } : {}),
  };
}

/** Create the declared networks SPEC joins that do not exist; an existing one (anyone's) is used as it is. */
export async function ensureNetworks(docker: Docker, spec: ContainerSpec, declared: readonly NetworkSpec[], id: ManagedIdentity): Promise<void> {
  for (const join of spec.networks ?? []) {
    const decl = declared.find((n) => n.name === join.name);
    if (!decl) continue;   // not declared: an existing network; Docker reports it if missing
    if (await orUndefinedOn404(() => docker.getNetwork(join.name).inspect())) continue;
    await ignoring([409], () => docker.createNetwork(networkCreateOptions(decl, id)));   // 409: created meanwhile
  }
}

/** Connect a created (not yet started) container to its networks after the first. */
export async function connectExtraNetworks(docker: Docker, containerId: string, spec: ContainerSpec): Promise<void> {
  for (const n of (spec.networks ?? []).slice(1)) {
    await docker.getNetwork(n.name).connect({ Container: containerId, EndpointConfig: { Aliases: n.aliases ?? [] } });
  }
}

/** Remove this host's managed networks that left DECLARED and have no container attached. */
export async function pruneNetworks(docker: Docker, declared: readonly NetworkSpec[], id: ManagedIdentity): Promise<string[]> {
  const keep = new Set(declared.map((n) => n.name));
  const list = await docker.listNetworks({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.host}=${id.hostKey}`] } });
  const removed: string[] = [];
  for (const n of list) {
    if (keep.has(n.Name)) continue;
    const info = await orUndefinedOn404(() => docker.getNetwork(n.Id).inspect()) as { Containers?: Record<string, unknown>; Labels?: Record<string, string> } | undefined;
    if (!info || Object.keys(info.Containers ?? {}).length > 0) continue;
    if (info.Labels?.[LABELS.managed] !== 'true' || info.Labels?.[LABELS.host] !== id.hostKey) continue;
    // 403/409: an endpoint appeared meanwhile (in use); 404: gone. Either way, not ours to force.
    await ignoring([403, 404, 409], () => docker.getNetwork(n.Id).remove());
    removed.push(n.Name);
  }
  return removed;
}
