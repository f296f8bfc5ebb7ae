// GET /api/v1/hosts/NS/NAME/stats[?container=C&since=T]: a host's resource history (HostStatsView),
// with the same access as the host itself (Kubernetes mode: RBAC `get containerhosts`). `since` is
// RFC 3339 or Unix milliseconds; a bad one is a 400 naming the parameter.
import type { Express, Request, Response } from 'express';
import type { HostStatsView } from '../../protocol/stats.js';
import type { Store } from '../store/store.js';
import type { AccessControl } from './access.js';
import type { Refusal } from './visibility.js';

/** What the route reads (controller/stats/stats-service.ts). */
export interface StatsSource {
  history: { query(hostKey: string, opts: { container?: string; sinceMs?: number; hostCpus?: number }): Omit<HostStatsView, 'namespace' | 'name'> };
  hostCpusOf(hostKey: string): number;
}

export const STATS_PATH = '/api/v1/hosts/:namespace/:name/stats';

/** `since` as Unix ms, or an error message. */
export function parseSince(raw: unknown): number | undefined | string {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') return 'since must be one RFC 3339 time or Unix milliseconds';
  if (/^\d{1,16}$/.test(raw)) return Number(raw);
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? `since "${raw.slice(0, 64)}" is neither an RFC 3339 time nor Unix milliseconds` : ms;
}

export function mountStats(app: Express, opts: { store: Store; access: AccessControl; stats: StatsSource; refuse: (res: Response, r: Refusal) => void }): void {
  app.get(STATS_PATH, async (req: Request, res: Response) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    const decision = await opts.access.check(req, { resource: 'containerhosts', namespace, name });
    if (!decision.allowed) { opts.refuse(res, decision); return; }
    const key = `${namespace}/${name}`;
    if (!opts.store.host(key)) { res.status(404).json({ error: 'NotFound', message: `ContainerHost ${key} not found` }); return; }
    const since = parseSince(req.query.since);
    if (typeof since === 'string') { res.status(400).json({ error: 'BadRequest', message: since }); return; }
    const container = req.query.container;
    if (container !== undefined && (typeof container !== 'string' || container === '')) { res.status(400).json({ error: 'BadRequest', message: 'container must be one container name' }); return; }
    const view = opts.stats.history.query(key, { ...(container ? { container } : {}), ...(since !== undefined ? { sinceMs: since } : {}), hostCpus: opts.stats.hostCpusOf(key) });
    res.json({ namespace, name, ...view } satisfies HostStatsView);
  });
}
