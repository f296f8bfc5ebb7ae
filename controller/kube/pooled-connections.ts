// One connection pool for all of a client's requests. @kubernetes/client-node 2.x builds a NEW
// undici Agent for every request (KubeConfig.applySecurityAuthentication → createDispatcher), so
// every request opens its own TCP + TLS connection to the apiserver: a handshake's CPU on both sides
// and a round trip or two of latency per write — at fleet scale most of the Kubernetes path's cost
// (bench/scale --modes kube; docs/performance.md). client-go keeps one transport per config.
//
// pooledConnections(kc) is a KubeConfig whose requests still get their credentials from kc on
// every request (a rotated token or exec-plugin credential is used at once) but share one Agent,
// kept-alive like client-go's. The Agent is replaced after maxAgeMs, so a rotated CA or client
// certificate is picked up within that bound; the old one finishes its in-flight requests first.
import type { KubeConfig } from '@kubernetes/client-node';

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];
type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export interface PoolOptions {
  /** Replace the shared Agent after this long (default 5 min). */
  maxAgeMs?: number;
  now?: () => number;
}

export function pooledConnections(kc: KubeConfig, opts: PoolOptions = {}): KubeConfig {
  const maxAgeMs = opts.maxAgeMs ?? 5 * 60_000;
  const now = opts.now ?? Date.now;
  let shared: { agent: Dispatcher; since: number } | undefined;
  // The prototype is kc: every other method (current cluster, user, makeApiClient) is kc's own.
  const pooled = Object.create(kc) as KubeConfig;
  pooled.applySecurityAuthentication = async (ctx: RequestContext): Promise<void> => {
    await kc.applySecurityAuthentication(ctx);
    const fresh = ctx.getDispatcher();
    if (!fresh) return;   // plain HTTP / no TLS options: client-node uses fetch's global pool already
    const t = now();
    if (!shared || t - shared.since >= maxAgeMs) {
      const old = shared;
      shared = { agent: fresh, since: t };
      old?.agent.close().catch(() => undefined);   // waits for its in-flight requests
      return;
    }
    fresh.close().catch(() => undefined);   // never connected: closing it frees nothing but is tidy
    ctx.setDispatcher(shared.agent);
  };
  return pooled;
}
