// The host's declared networks as they travel in `apply` and `remove` frames. The agent creates
// the ones a container joins and, after every action, removes the managed networks that left this
// list and no container uses. Absent (no networks declared, or the host is being deleted) means
// "none declared": an agent that predates networks never sees the field.
import type { NetworkSpec } from '../../protocol/container.js';
import type { ContainerHost } from '../api/types.js';

export function networksOf(host: ContainerHost): { networks?: NetworkSpec[] } {
  if (host.metadata.deletionTimestamp || !host.spec.networks?.length) return {};
  return {
    networks: host.spec.networks.map((n) => ({
      name: n.name, driver: n.driver ?? 'bridge',
      ...(n.internal !== undefined ? { internal: n.internal } : {}),
      ...(n.ipv6 !== undefined ? { ipv6: n.ipv6 } : {}),
      ...(n.subnet !== undefined ? { subnet: n.subnet } : {}),
      ...(n.labels !== undefined ? { labels: n.labels } : {}),
    })),
  };
}
