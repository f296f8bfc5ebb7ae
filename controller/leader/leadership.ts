// Adapts the LeaderElector to the controller's Leadership interface (which takes its callbacks at
// start, so the controller wires them without knowing anything of Leases).
import type { KubeConfig } from '../kube/config.js';
import type { Logger } from 'pino';
import type { Leadership } from '../controller.js';
import { LeaderElector } from './elector.js';

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
