// berth_kube_requests_total{verb,resource}: every request the Kubernetes store sends through the
// client (writes and direct reads; the informers' list/watch streams are not counted here), so an
// operator — and bench/scale's floor — can see how many writes each host costs the apiserver.
import { Counter, type Registry } from 'prom-client';
import type { RequestRecord } from '../../kube/api.js';

/** "PATCH", "/apis/berth.dev/v1alpha1/namespaces/a/containerhosts/h1/status" → { verb: "patch", resource: "containerhosts/status" }. */
export function describeRequest(r: RequestRecord): { verb: string; resource: string } {
  let path = r.url;
  try { path = new URL(r.url).pathname; } catch { /* already a path */ }
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  // /api/v1/... or /apis/<group>/<version>/...; then optionally namespaces/<ns>; then <resource>[/<name>[/<sub>]]
  let rest = parts[0] === 'api' ? parts.slice(2) : parts.slice(3);
  if (rest[0] === 'namespaces' && rest.length > 2) rest = rest.slice(2);
  const resource = rest.length >= 3 ? `${rest[0]}/${rest[2]}` : (rest[0] ?? 'unknown');
  return { verb: r.method.toLowerCase(), resource };
}

export function kubeRequestCounter(registry: Registry): (r: RequestRecord) => void {
  const counter = new Counter({ name: 'berth_kube_requests_total', help: 'Requests the Kubernetes store sent to the apiserver (not the informers\' list/watch), by verb and resource', labelNames: ['verb', 'resource'], registers: [registry] });
  return (r) => { const d = describeRequest(r); counter.inc({ verb: d.verb, resource: d.resource }); };
}
