// Loading the Kubernetes client configuration for Kubernetes mode: an explicit kubeconfig file, or
// client-go's defaults (KUBECONFIG, ~/.kube/config, in-cluster service account). Kept beside the
// Kubernetes store so that only the store and leader election import @kubernetes/client-node.
import { KubeConfig } from '@kubernetes/client-node';

export type { KubeConfig };

export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error(file ? `no current cluster in kubeconfig ${file}` : 'no Kubernetes configuration found (KUBECONFIG, ~/.kube/config or in-cluster)');
  return kc;
}
