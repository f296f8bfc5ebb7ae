// GET /api/v1/logs/check?namespace=NS&host=HOST&container=NAME — may this request tail these logs?
// The page asks when its log socket is refused: a browser WebSocket never sees the HTTP status of a
// refused upgrade, so without this it could only say "connection failed". The answers mirror the
// socket's refusals (LOGS-WEB-CONTRACT): 400 a missing/invalid parameter, 401/403 from access
// control (`get containerhosts/logs`), 404 no such host or container; 200 {ok: true} otherwise.
import type { Express } from 'express';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export function mountLogCheck(app: Express, opts: { store: Store; access: AccessControl }): void {
  app.get('/api/v1/logs/check', async (req, res) => {
    const q = req.query as Record<string, unknown>;
    for (const [param, pattern] of [['namespace', DNS_LABEL], ['host', DNS_SUBDOMAIN], ['container', DNS_LABEL]] as const) {
      const v = q[param];
      if (typeof v !== 'string' || !pattern.test(v)) {
        res.status(400).json({ error: 'BadRequest', message: `query parameter "${param}" is ${v === undefined ? 'missing' : 'not a valid name'}` });
        return;
      }
    }
    const namespace = q.namespace as string;
    const host = q.host as string;
    const container = q.container as string;
    const decision = await opts.access.check(req, { resource: 'containerhosts', subresource: 'logs', namespace, name: host });
    if (!decision.allowed) { res.status(decision.status).json({ error: decision.status === 401 ? 'Unauthorized' : 'Forbidden', message: decision.message }); return; }
    const h = opts.store.host(`${namespace}/${host}`);
    if (!h) { res.status(404).json({ error: 'NotFound', message: `ContainerHost ${namespace}/${host} not found` }); return; }
    if (!h.spec.containers?.some((c) => c.name === container)) {
      res.status(404).json({ error: 'NotFound', message: `container "${container}" is not in the spec of ContainerHost ${namespace}/${host}` });
      return;
    }
    res.json({ ok: true, user: decision.user });
  });
}
