// The rollout of a ContainerSet as the page shows it: one cell per host (revision, ready/available,
// message), a summary line, and paging through hostStatuses (bounded by the controller, but still
// up to thousands of hosts). Pure, so the view only lays it out.
import type { SetView } from '../../../protocol/api-views.js';
import type { SetHostStatus } from '../../../protocol/resources.js';
import type { Badge } from './badges.js';

export interface HostCell {
  host: string;
  /** "r3", or the short hash when the revision is not in status.revisions. */
  revision: string;
  /** At the revision being rolled out (the rollout's target). */
  updated: boolean;
  /** What the cell says in words (never colour alone); "rolling back": at a revision a rollback leaves. */
  state: 'available' | 'ready' | 'updating' | 'failed' | 'old' | 'rolling back' | 'collision';
  badge: Badge;
  message?: string;
  since?: string;
  images?: string;
}

export interface SetSummary {
  /** "3 of 4 hosts updated, 2 available". */
  text: string;
  phase: string;
  badge: Badge;
  /** r-number or short hash of the revision being rolled out, and of the current (last good) one. */
  target?: string;
  current?: string;
}

export const PAGE_SIZE = 120;

/** "r<number>" from status.revisions, else the first 8 characters of the hash; "—" for none. */
export function revisionLabel(set: SetView, revision: string | undefined): string {
  if (!revision) return '—';
  const known = set.status.revisions?.find((r) => r.name === revision);
  return known ? `r${known.number}` : revision.slice(0, 8);
}

/** The revision hosts are being moved to: the rollout's target (a rollback's good one), else updateRevision. */
export function targetRevision(set: SetView): string | undefined {
  return set.status.rollout?.target ?? set.status.updateRevision;
}

export function cellFor(set: SetView, h: SetHostStatus): HostCell {
  const target = targetRevision(set);
  const updated = h.revision === target;
  const failed = set.status.rollout?.failedHost === h.host;
  const state: HostCell['state'] = h.collisions?.length ? 'collision'
    : failed ? 'failed'
    : !updated ? (set.status.rollout?.phase === 'RollingBack' ? 'rolling back' : 'old')
    : h.available ? 'available'
    : h.ready ? 'ready' : 'updating';
  const badge: Badge = state === 'available' ? 'ok' : state === 'failed' || state === 'collision' ? 'bad' : state === 'old' ? '' : 'warn';
  const message = h.collisions?.length ? `name collision: ${h.collisions.join(', ')}${h.message ? ` — ${h.message}` : ''}` : h.message;
  const images = h.images?.map((i) => `${i.name} ${i.imageID ? i.imageID.replace(/^sha256:/, '').slice(0, 12) : '?'}`).join(', ');
  return {
    host: h.host, revision: revisionLabel(set, h.revision), updated, state, badge,
    ...(message ? { message } : {}), ...(h.since ? { since: h.since } : {}), ...(images ? { images } : {}),
  };
}

export function summarize(set: SetView): SetSummary {
  const s = set.status;
  const hosts = s.hosts ?? s.hostStatuses?.length ?? 0;
  const phase = s.rollout?.phase ?? (s.updateRevision && s.updateRevision === s.currentRevision ? 'Complete' : 'Pending');
  const badge: Badge = phase === 'Failed' || phase === 'RollingBack' ? 'bad'
    : phase === 'Complete' && (s.availableHosts ?? 0) === hosts ? 'ok' : 'warn';
  const target = targetRevision(set);
  return {
    text: `${s.updatedHosts ?? 0} of ${hosts} ${hosts === 1 ? 'host' : 'hosts'} updated, ${s.readyHosts ?? 0} ready, ${s.availableHosts ?? 0} available`,
    phase, badge,
    ...(target ? { target: revisionLabel(set, target) } : {}),
    ...(s.currentRevision ? { current: revisionLabel(set, s.currentRevision) } : {}),
  };
}

/** One page of cells (0-based), failed and updating hosts first so trouble is on page one. */
export function gridPage(set: SetView, page: number, size = PAGE_SIZE): { cells: HostCell[]; page: number; pages: number; total: number } {
  const order: Record<HostCell['state'], number> = { failed: 0, collision: 1, 'rolling back': 2, updating: 3, ready: 4, old: 5, available: 6 };
  const all = (set.status.hostStatuses ?? []).map((h) => cellFor(set, h))
    .sort((a, b) => order[a.state] - order[b.state] || a.host.localeCompare(b.host));
  const pages = Math.max(1, Math.ceil(all.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  return { cells: all.slice(p * size, (p + 1) * size), page: p, pages, total: all.length };
}
