import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { SetView } from '../../../protocol/api-views.js';
import type { SetHostStatus } from '../../../protocol/resources.js';
import { cellFor, gridPage, revisionLabel, summarize } from './set-grid.js';

const host = (name: string, revision: string, extra: Partial<SetHostStatus> = {}): SetHostStatus =>
  ({ host: name, revision, ready: false, available: false, since: '2026-01-01T00:00:00Z', ...extra });
const set = (hostStatuses: SetHostStatus[], status: Partial<SetView['status']> = {}): SetView => ({
  metadata: { namespace: 'fleet', name: 'edge', uid: 'u', generation: 2 },
  spec: {} as SetView['spec'],
  status: {
    currentRevision: 'aaaa1111aaaa', updateRevision: 'bbbb2222bbbb', hosts: hostStatuses.length, hostStatuses,
    revisions: [{ name: 'aaaa1111aaaa', number: 1, template: { containers: [] }, createdAt: '' },
      { name: 'bbbb2222bbbb', number: 2, template: { containers: [] }, createdAt: '' }],
    rollout: { phase: 'Progressing', target: 'bbbb2222bbbb' },
    ...status,
  },
});

test('revisions read as r<number>; unknown ones as a short hash', () => {
  const s = set([]);
  assert.is(revisionLabel(s, 'bbbb2222bbbb'), 'r2');
  assert.is(revisionLabel(s, 'cccc3333cccc'), 'cccc3333');
  assert.is(revisionLabel(s, undefined), '—');
});

test('a cell says in words where its host is: available, ready, updating, old, failed, collision', () => {
  const s = set([], { rollout: { phase: 'Failed', target: 'bbbb2222bbbb', failedHost: 'h5', message: 'unhealthy' } });
  const st = (h: SetHostStatus) => { const c = cellFor(s, h); return `${c.state}/${c.badge}/${c.revision}`; };
  assert.is(st(host('h1', 'bbbb2222bbbb', { ready: true, available: true })), 'available/ok/r2');
  assert.is(st(host('h2', 'bbbb2222bbbb', { ready: true })), 'ready/warn/r2');
  assert.is(st(host('h3', 'bbbb2222bbbb')), 'updating/warn/r2');
  assert.is(st(host('h4', 'aaaa1111aaaa', { ready: true, available: true })), 'old//r1');
  assert.is(st(host('h5', 'bbbb2222bbbb', { message: 'web: unhealthy' })), 'failed/bad/r2');
  const back = set([], { rollout: { phase: 'RollingBack', target: 'aaaa1111aaaa' } });
  assert.is(cellFor(back, host('h7', 'bbbb2222bbbb', { ready: true })).state, 'rolling back', 'a rollback leaves r2');
  assert.is(cellFor(back, host('h8', 'aaaa1111aaaa', { ready: true, available: true })).state, 'available');
  const c = cellFor(s, host('h6', 'bbbb2222bbbb', { collisions: ['web'] }));
  assert.is(c.state, 'collision');
  assert.is(c.message, 'name collision: web');
});

test('the summary counts hosts and colours by phase', () => {
  const s = set([host('a', 'bbbb2222bbbb')], { updatedHosts: 1, readyHosts: 0, availableHosts: 0 });
  assert.equal(summarize(s), { text: '1 of 1 host updated, 0 ready, 0 available', phase: 'Progressing', badge: 'warn', target: 'r2', current: 'r1' });
  assert.is(summarize(set([], { rollout: { phase: 'Failed', target: 'x' } })).badge, 'bad');
  assert.is(summarize(set([], { rollout: { phase: 'Complete', target: 'bbbb2222bbbb' }, availableHosts: 0 })).badge, 'ok');
});

test('pages: trouble first, then by name; the page number is clamped', () => {
  const hosts = Array.from({ length: 250 }, (_, i) => host(`h${String(i).padStart(3, '0')}`, 'bbbb2222bbbb', { ready: true, available: true }));
  hosts[200] = host('h200', 'bbbb2222bbbb');
  const s = set(hosts);
  const first = gridPage(s, 0, 100);
  assert.is(first.pages, 3);
  assert.is(first.total, 250);
  assert.is(first.cells[0]!.host, 'h200', 'the updating host leads');
  assert.is(first.cells[1]!.host, 'h000');
  const last = gridPage(s, 99, 100);
  assert.is(last.page, 2);
  assert.is(last.cells.length, 50);
  assert.equal(gridPage(set([]), 0).pages, 1);
});

test.run();
