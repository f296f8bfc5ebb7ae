// GET /api/v1/logs/check?namespace=NS&host=HOST&container=NAME — may this request tail these logs?
// The page asks when its log socket is refused: a browser WebSocket never sees the HTTP status of a
// refused upgrade, so without this it could only say "connection failed". It runs the socket's own
// checks in the socket's order (log-socket.ts, LOGS-WEB-CONTRACT): 400 a bad query
// (same parser), 401/403 from access control (`get containerhosts/logs`), 404 no such host or
// container; 200 {ok: true, user} otherwise. It opens no stream.
import type { Express } from 'express';
import type { LogCheckView } from '../../protocol/api-views.js';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import { parseLogQuery } from './log-query.js';

export function mountLogCheck(app: Express, opts: { store: Store; access: AccessControl }): void {
  app.get('/api/v1/logs/check', async (req, res) => {
    const parsed = parseLogQuery(new URL(req.originalUrl, 'http://check.invalid').searchParams);
    if (!parsed.ok) { res.status(400).json({ error: 'BadRequest', message: parsed.message }); return; }
    const { namespace, host, container } = parsed.query;
    const decision = await opts.access.check(req, { resource: 'containerhosts', subresource: 'logs', namespace, name: host });
    if (!decision.allowed) { res.status(decision.status).json({ error: decision.status === 401 ? 'Unauthorized' : 'Forbidden', message: decision.message }); return; }
    const h = opts.store.host(`${namespace}/${host}`);
    if (!h) { res.status(404).json({ error: 'NotFound', message: `ContainerHost ${namespace}/${host} not found` }); return; }
    if (!h.spec.containers?.some((c) => c.name === container)) {
      res.status(404).json({ error: 'NotFound', message: `container "${container}" is not declared in ContainerHost ${namespace}/${host}` });
      return;
    }
    res.json({ ok: true, user: decision.user } satisfies LogCheckView);
  });
}
