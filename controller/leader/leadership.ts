// What the controller knows of leadership (`Leadership`), and its Lease implementation: an adapter
// from the LeaderElector (which takes its callbacks at start, so the controller wires them without
// knowing anything of Leases).
import type { KubeConfig } from '../kube/config.js';
import type { Logger } from 'pino';
import { LeaderElector } from './elector.js';

/**
 * Kubernetes mode: several replicas, one leader (a Lease). Only the leader reconciles and accepts
 * agents; the others keep their caches warm, answer /readyz with 503 (so the Service sends agents to
 * the leader) and refuse agent upgrades with 503. The controller knows leadership only through this.
 */
export interface Leadership {
  start(callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void }): void | Promise<void>;
  /** Stop campaigning; release the lease if held. */
  stop(): Promise<void>;
  isLeader(): boolean;
}

export interface LeaseLeadershipOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  logger?: Logger;
  identity?: string;
}

export function leaseLeadership(opts: LeaseLeadershipOptions): Leadership {
  let elector: LeaderElector | undefined;
  return {
    start({ onStartedLeading, onStoppedLeading }) {
      elector = new LeaderElector({
        kubeConfig: opts.kubeConfig, namespace: opts.namespace, name: opts.name,
        ...(opts.identity ? { identity: opts.identity } : {}), ...(opts.logger ? { logger: opts.logger } : {}),
        onStartedLeading, onStoppedLeading,
      });
      elector.start();
    },
    async stop() { await elector?.stop(); },
    isLeader() { return elector?.isLeader() ?? false; },
  };
}
