// The read-only HTTP surface: health, readiness, Prometheus metrics, the JSON API and page feed
// the status page reads, and the page itself. No route changes a resource: anything but GET/HEAD is
// refused with 405 before routing — except POST /api/v1/session, which turns a Kubernetes token a
// browser presents into a session cookie (it changes no resource; see session.ts).
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { HostDetailView, ListView, ObservedHostView, SetDetailView, SourcesView } from '../../protocol/api-views.js';
import type { ResourceKey } from '../api/types.js';
import type { EventRecord, Store } from '../store/store.js';
import type { EventKind } from '../store/event-log.js';
import { anonymousAccess, type AccessControl } from './access.js';
import type { PageFeed } from './page-feed.js';
import type { SessionAuthority } from './kube-access.js';
import { mountLogCheck } from './log-check.js';
import { mountBrowserSession, SESSION_PATH } from './session.js';
import { requestLimits, type RequestLimitsOptions } from './request-limits.js';
import { mountStats, type StatsSource } from './stats-route.js';
import { hostView, setView, tokenView, type LastSeen } from './views.js';
import { Visibility, type Refusal } from './visibility.js';
import { mountWebPage, securityHeaders } from './web.js';

export interface ApiOptions {
  store: Store;
  registry: Registry;
  /** Whether this controller is ready to serve (store synced; in Kubernetes mode, the leader). */
  ready: () => { ok: boolean; reason?: string };
  /** Recent events of a resource, newest last (directory mode keeps them in memory). */
  events?: (kind: EventKind, key: ResourceKey) => Array<EventRecord & { time?: string }>;
  version: string;
  /** What the planner sees for a host (GET /api/v1/hosts/NS/NAME/observed; absent: 404). */
  observed?: (key: ResourceKey) => ObservedHostView | undefined;
  /** Who may read what (default: anonymous, for directory mode on loopback). */
  access?: AccessControl;
  /** Kubernetes-mode page sign-in (absent: no sign-in, the page is anonymous). */
  sessions?: SessionAuthority;
  /** GET /api/v1/events (absent: the route answers 404). */
  pageFeed?: PageFeed;
  /** Connected agents' lastSeenAt from memory (views.ts; absent: status as stored). */
  lastSeen?: LastSeen;
  /** Container resource history (GET /api/v1/hosts/NS/NAME/stats; absent: the route answers 404). */
  stats?: StatsSource;
  /** The built page (dist/web); false: serve no page. */
  webRoot?: string | false;
  /** Rate limits of sign-in and bearer requests per client address (defaults in request-limits.ts). */
  limits?: RequestLimitsOptions;
}

/** The one method besides GET/HEAD the surface accepts, and where. */
export const NON_GET_ROUTES: ReadonlyArray<{ method: string; path: string }> = [{ method: 'POST', path: SESSION_PATH }];

export function refuse(res: Response, r: Refusal): void {
  res.status(r.status).json({ error: r.status === 401 ? 'Unauthorized' : 'Forbidden', message: r.message });
}

export function createApi(opts: ApiOptions): Express {
  const app = express();
  const access = opts.access ?? anonymousAccess;
  app.disable('x-powered-by');
  app.set('etag', false);

  app.use(securityHeaders);
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') { next(); return; }
    if (NON_GET_ROUTES.some((r) => r.method === req.method && r.path === req.path)) { next(); return; }
    res.setHeader('Allow', req.path === SESSION_PATH ? 'GET, HEAD, POST' : 'GET, HEAD');
    res.status(405).json({ error: 'MethodNotAllowed', message: 'the Berth API is read-only: change resources in their manifests or with kubectl' });
  });

  // API answers are live state: never cached by a browser or a proxy.
  app.use('/api', (_req: Request, res: Response, next: NextFunction) => { res.setHeader('Cache-Control', 'no-store'); next(); });
  // Every credential check is rate-limited per client address, before it costs a review.
  const limits = requestLimits(opts.limits);
  app.post(SESSION_PATH, limits.signIn);
  app.use('/api', limits.bearer);

  app.get('/healthz', (_req, res) => { res.type('text/plain').send('ok'); });
  app.get('/readyz', (_req, res) => {
    const r = opts.ready();
    res.status(r.ok ? 200 : 503).type('text/plain').send(r.ok ? 'ok' : `not ready: ${r.reason ?? 'starting'}`);
  });
  app.get('/metrics', async (_req, res) => {
    res.type(opts.registry.contentType).send(await opts.registry.metrics());
  });

  app.get('/api/v1/version', (_req, res) => { res.json({ version: opts.version }); });
  /** Answer a list with only the items in namespaces the caller may `get` RESOURCE in. */
  async function listVisible<T extends { metadata: { namespace: string } }, V>(req: Request, res: Response, resource: 'containerhosts' | 'agenttokens' | 'containersets', items: T[], view: (item: T) => V) {
    const scope = await new Visibility(access, req, resource).filter(items.map((i) => i.metadata.namespace));
    if (!scope.ok) { refuse(res, scope.refusal); return; }
    res.json({ items: items.filter((i) => scope.namespaces === 'all' || scope.namespaces.has(i.metadata.namespace)).map(view) } satisfies ListView<V>);
  }
  app.get('/api/v1/hosts', (req, res) => listVisible(req, res, 'containerhosts', opts.store.hosts(), (h) => hostView(h, opts.lastSeen)));
  app.get('/api/v1/hosts/:namespace/:name', async (req, res) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    const decision = await access.check(req, { resource: 'containerhosts', namespace, name });
    if (!decision.allowed) { refuse(res, decision); return; }
    const key = `${namespace}/${name}`;
    const host = opts.store.host(key);
    if (!host) { res.status(404).json({ error: 'NotFound', message: `ContainerHost ${key} not found` }); return; }
    res.json({ ...hostView(host, opts.lastSeen), events: opts.events?.('ContainerHost', key) ?? [] } satisfies HostDetailView);
  });
  // The planner's input for one host, for `berth plan`: the same access as the host itself.
  app.get('/api/v1/hosts/:namespace/:name/observed', async (req, res) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    const decision = await access.check(req, { resource: 'containerhosts', namespace, name });
    if (!decision.allowed) { refuse(res, decision); return; }
    const key = `${namespace}/${name}`;
    const view = opts.observed?.(key);
    if (!view) { res.status(404).json({ error: 'NotFound', message: `ContainerHost ${key} not found` }); return; }
    res.json(view satisfies ObservedHostView);
  });
  if (opts.stats) mountStats(app, { store: opts.store, access, stats: opts.stats, refuse });
  // ContainerSets: the same rules as hosts, on their own resource (`get containersets`).
  app.get('/api/v1/sets', (req, res) => listVisible(req, res, 'containersets', opts.store.sets(), setView));
  app.get('/api/v1/sets/:namespace/:name', async (req, res) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    const decision = await access.check(req, { resource: 'containersets', namespace, name });
    if (!decision.allowed) { refuse(res, decision); return; }
    const key = `${namespace}/${name}`;
    const set = opts.store.set(key);
    if (!set) { res.status(404).json({ error: 'NotFound', message: `ContainerSet ${key} not found` }); return; }
    res.json({ ...setView(set), events: opts.events?.('ContainerSet', key) ?? [] } satisfies SetDetailView);
  });
  app.get('/api/v1/tokens', (req, res) => listVisible(req, res, 'agenttokens', opts.store.tokens(), tokenView));
  app.get('/api/v1/sources', async (req, res) => {
    // Source problems name files and informers, not resources: whoever may see any host may see them.
    const scope = await new Visibility(access, req, 'containerhosts').filter(opts.store.hosts().map((h) => h.metadata.namespace));
    if (!scope.ok) { refuse(res, scope.refusal); return; }
    res.json({ problems: opts.store.problems() } satisfies SourcesView);
  });
  if (opts.pageFeed) app.get('/api/v1/events', opts.pageFeed.handle);
  mountBrowserSession(app, { store: opts.store, access, ...(opts.sessions ? { sessions: opts.sessions } : {}) });
  mountLogCheck(app, { store: opts.store, access });

  app.use('/api', (_req, res) => { res.status(404).json({ error: 'NotFound', message: 'no such API route' }); });
  if (opts.webRoot) mountWebPage(app, opts.webRoot);
  app.use((err: Error & { status?: number; statusCode?: number; expose?: boolean }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? err.statusCode ?? 500;
    if (res.headersSent) { res.end(); return; }
    res.status(status).json({ error: status === 404 ? 'NotFound' : status < 500 ? 'BadRequest' : 'InternalError', message: status < 500 && err.expose !== false ? err.message : status === 500 ? err.message : 'internal error' });
  });
  return app;
}
