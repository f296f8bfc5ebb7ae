// Lease leader election for Kubernetes mode (DESIGN §5). See README.md.
export {
  LeaderElector, defaultIdentity, DEFAULT_LEASE_DURATION_MS, DEFAULT_RENEW_DEADLINE_MS, DEFAULT_RETRY_PERIOD_MS,
  realTimers, type ElectorTimers, type LeaderElectorOptions, type LeaderState,
} from './elector.js';
export { KubeLeaseClient, LeaseConflictError, type LeaseClient, type LeaseSnapshot } from '../kube/lease-client.js';
export type { LeaseRecord } from './decide.js';
