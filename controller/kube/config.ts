// Loading the Kubernetes client configuration for Kubernetes mode: an explicit kubeconfig file, or
// client-go's defaults (KUBECONFIG, ~/.kube/config, in-cluster service account). In controller/kube/,
// the only folder that imports @kubernetes/client-node (test/architecture/boundaries.test.ts); the
// rest of the controller sees just the KubeConfig type re-exported here.
import { KubeConfig } from '@kubernetes/client-node';

export type { KubeConfig };

const NOT_FOUND = 'no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a Pod (in-cluster service account)';

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(file ? `no current cluster in kubeconfig ${file}` : NOT_FOUND);
  // When it finds nothing, client-node's loadFromDefault falls back to an unauthenticated
  // http://localhost:8080 (cluster "cluster", user "user"), which every request then fails on
  // ("HTTP protocol is not allowed ...") for a minute of retries. Say what is missing instead.
  if (!file && cluster.name === 'cluster' && cluster.server === 'http://localhost:8080' && kc.getCurrentUser()?.name === 'user') throw new Error(NOT_FOUND);
  return kc;
}
