// The read-only HTTP surface: health, readiness, Prometheus metrics and the JSON API the status page
// reads. No route changes state: anything but GET/HEAD is refused with 405 before routing.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { AgentToken, ContainerHost, ResourceKey } from '../api/types.js';
import type { EventRecord, Store } from '../store/store.js';

export interface ApiOptions {
  store: Store;
  registry: Registry;
  /** Whether this controller is ready to serve (store synced; in Kubernetes mode, the leader). */
  ready: () => { ok: boolean; reason?: string };
  /** Recent events of a resource, newest last (directory mode keeps them in memory). */
  events?: (kind: 'ContainerHost' | 'AgentToken', key: ResourceKey) => Array<EventRecord & { time?: string }>;
  version: string;
}

/** A host as the API shows it: everything but nothing secret (the spec holds only Secret references). */
function hostView(h: ContainerHost) {
  return { metadata: { namespace: h.metadata.namespace, name: h.metadata.name, uid: h.metadata.uid, generation: h.metadata.generation,
    creationTimestamp: h.metadata.creationTimestamp, deletionTimestamp: h.metadata.deletionTimestamp, labels: h.metadata.labels },
  spec: h.spec, status: h.status ?? {} };
}

/** A token as the API shows it: bookkeeping only, never the token. */
function tokenView(t: AgentToken) {
  return { metadata: { namespace: t.metadata.namespace, name: t.metadata.name, uid: t.metadata.uid, creationTimestamp: t.metadata.creationTimestamp },
    spec: t.spec, status: t.status ?? {} };
}

export function createApi(opts: ApiOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      res.status(405).json({ error: 'MethodNotAllowed', message: 'the Berth API is read-only: change resources in their manifests or with kubectl' });
      return;
    }
    next();
  });

  app.get('/healthz', (_req, res) => { res.type('text/plain').send('ok'); });
  app.get('/readyz', (_req, res) => {
    const r = opts.ready();
    res.status(r.ok ? 200 : 503).type('text/plain').send(r.ok ? 'ok' : `not ready: ${r.reason ?? 'starting'}`);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(opts.registry.contentType).send(await opts.registry.metrics());
  });

  app.get('/api/v1/version', (_req, res) => { res.json({ version: opts.version }); });
  app.get('/api/v1/hosts', (_req, res) => { res.json({ items: opts.store.hosts().map(hostView) }); });
  app.get('/api/v1/hosts/:namespace/:name', (req, res) => {
    const key = `${req.params.namespace}/${req.params.name}`;
    const host = opts.store.host(key);
    if (!host) { res.status(404).json({ error: 'NotFound', message: `ContainerHost ${key} not found` }); return; }
    res.json({ ...hostView(host), events: opts.events?.('ContainerHost', key) ?? [] });
  });
  app.get('/api/v1/tokens', (_req, res) => { res.json({ items: opts.store.tokens().map(tokenView) }); });
  app.get('/api/v1/sources', (_req, res) => { res.json({ problems: opts.store.problems() }); });

  app.use('/api', (_req, res) => { res.status(404).json({ error: 'NotFound', message: 'no such API route' }); });
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: 'InternalError', message: err.message });
  });
  return app;
}
