// The status page's sets view in a real Chromium: the list, and one set's rollout as a live grid of
// hosts (revision, where each host stands in words, message), updated by page-feed `changes` without
// a reload, trouble first, paging for a large fleet, the failure notice, no CSP violations, 360 px.
// The page is served by the controller's own page code (mountWebPage + securityHeaders); the page
// feed is scripted here (snapshot, then changes), because the controller's feed learns sets in the
// ContainerSet reconciler's branch (issue 13 core) — a real-controller rollout test belongs there.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import type { Browser } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mountWebPage, securityHeaders } from '../../controller/http/web.js';
import type { BrowserSessionView, PageChanges, PageSnapshot, SetView } from '../../protocol/api-views.js';
import type { SetHostStatus } from '../../protocol/resources.js';
import { closeBrowsers, launchBrowser } from '../support/browser.js';
import { openPage, screenshot } from '../support/page.js';
import { repoRoot } from '../support/paths.js';

const R1 = 'a1a1a1a1a1a1a1a1';
const R2 = 'b2b2b2b2b2b2b2b2';
const host = (name: string, revision: string, extra: Partial<SetHostStatus> = {}): SetHostStatus =>
  ({ host: name, revision, ready: false, available: false, since: new Date().toISOString(), ...extra });

function edge(hostStatuses: SetHostStatus[], status: Partial<SetView['status']> = {}): SetView {
  return {
    metadata: { namespace: 'fleet', name: 'edge-app', uid: 'u1', generation: 2 },
    spec: {
      hostSelector: { matchLabels: { tier: 'edge' } }, template: { containers: [] },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, minReadySeconds: 10 }, failurePolicy: 'Rollback', progressDeadlineSeconds: 600 },
      paused: false, revisionHistoryLimit: 10, imageUpdates: { policy: 'Poll', intervalSeconds: 300 },
    },
    status: {
      currentRevision: R1, updateRevision: R2, hosts: hostStatuses.length,
      updatedHosts: hostStatuses.filter((h) => h.revision === R2).length,
      readyHosts: hostStatuses.filter((h) => h.ready).length, availableHosts: hostStatuses.filter((h) => h.available).length,
      hostStatuses,
      revisions: [{ name: R1, number: 1, template: { containers: [] }, createdAt: '' }, { name: R2, number: 2, template: { containers: [] }, createdAt: '' }],
      rollout: { phase: 'Progressing', target: R2 },
      conditions: [{ type: 'Progressing', status: 'True', reason: 'RollingUpdate', message: 'updating hosts', lastTransitionTime: new Date().toISOString() }],
      ...status,
    },
  };
}

const feeds = new Set<ServerResponse>();
let snapshot: PageSnapshot;
let server: Server;
let url: string;
let browser: Browser;

function send(event: 'snapshot' | 'changes', data: PageSnapshot | PageChanges): void {
  for (const res of feeds) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

test.before(async () => {
  snapshot = {
    hosts: [], tokens: [], problems: [],
    sets: [edge([host('edge-1', R2, { ready: true, available: true }), host('edge-2', R2, { ready: true, message: 'web: ready, waiting 10 s' }),
      host('edge-3', R1, { ready: true, available: true }), host('edge-4', R1, { ready: true, available: true })])],
  };
  const app = express();
  app.use(securityHeaders);
  const session: BrowserSessionView = { mode: 'anonymous', user: 'anonymous', can: { hosts: { allowed: true }, tokens: { allowed: true }, sets: { allowed: true } } };
  app.get('/api/v1/session', (_req, res) => { res.json(session); });
  app.get('/api/v1/events', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    feeds.add(res);
    req.on('close', () => feeds.delete(res));
  });
  mountWebPage(app, join(repoRoot, 'dist', 'web'));
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

test.after(async () => {
  await closeBrowsers();
  for (const res of feeds) res.end();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('the sets list shows selector, counts, phase and revision, and links to the set', async () => {
  const { page, cspViolations, errors } = await openPage(browser);
  await page.goto(`${url}/sets`);
  const row = page.locator('tr[data-set="fleet/edge-app"]');
  await row.waitFor({ timeout: 10_000 });
  const text = await row.innerText();
  assert.match(text, /tier=edge/);
  assert.match(text, /2 of 4 hosts updated, 4 ready, 3 available/);
  assert.match(text, /Progressing/);
  assert.match(text, /r2 \(from r1\)/);
  assert.is(await page.title(), 'Container sets · Berth');
  await row.locator('a', { hasText: 'edge-app' }).click();
  await page.locator('berth-set-detail').waitFor();
  assert.is(new URL(page.url()).pathname, '/sets/fleet/edge-app');
  assert.equal(await cspViolations(), []);
  assert.equal(errors, []);
  await page.context().close();
});

test('the rollout grid: each host with its revision and state in words, updated live without a reload', async () => {
  const { page, cspViolations, errors } = await openPage(browser);
  await page.goto(`${url}/sets/fleet/edge-app`);
  const cell = (h: string) => page.locator(`li.cell[data-host="${h}"]`);
  await cell('edge-1').waitFor({ timeout: 10_000 });
  assert.match(await cell('edge-1').innerText(), /r2\s+available/);
  assert.match(await cell('edge-2').innerText(), /r2\s+ready[\s\S]*waiting 10 s/);
  assert.match(await cell('edge-3').innerText(), /r1\s+old/);
  const order = await page.locator('li.cell').evaluateAll((els) => els.map((e) => e.getAttribute('data-host')));
  assert.equal(order, ['edge-2', 'edge-3', 'edge-4', 'edge-1'], 'not yet available first, available last');
  assert.match(await page.locator('#summary').innerText(), /2 of 4 hosts updated/);
  await page.evaluate('window.__marker = 1');

  // The rollout moves on: edge-2 available, edge-3 given r2 and updating.
  send('changes', { sets: [edge([host('edge-1', R2, { ready: true, available: true }), host('edge-2', R2, { ready: true, available: true }),
    host('edge-3', R2, { message: 'pulling image' }), host('edge-4', R1, { ready: true, available: true })])] });
  await page.locator('li.cell[data-host="edge-3"][data-state="updating"]').waitFor({ timeout: 5_000 });
  assert.match(await cell('edge-3').innerText(), /r2\s+updating[\s\S]*pulling image/);
  assert.match(await cell('edge-2').innerText(), /available/);
  assert.match(await page.locator('#summary').innerText(), /3 of 4 hosts updated, 3 ready, 3 available/);
  assert.is(await page.evaluate('window.__marker'), 1, 'no reload');

  // A failure with Rollback: the failed host leads and the notice names host, container and message.
  send('changes', { sets: [edge([host('edge-1', R2, { ready: true, available: true }), host('edge-2', R2, { ready: true, available: true }),
    host('edge-3', R2, { message: 'web: unhealthy (healthcheck failed 3 times)' }), host('edge-4', R1, { ready: true, available: true })],
  { rollout: { phase: 'RollingBack', target: R1, failedHost: 'edge-3', failedContainer: 'web', message: 'not available within 600 s' } })] });
  await page.locator('#failure').waitFor({ timeout: 5_000 });
  assert.match(await page.locator('#failure').innerText(), /failed and is rolling back on edge-3, container web: not available within 600 s/);
  assert.match(await cell('edge-3').innerText(), /failed[\s\S]*unhealthy/);
  assert.is(await page.locator('li.cell').first().getAttribute('data-host'), 'edge-3');
  assert.match(await cell('edge-4').innerText(), /r1\s+available/, 'the rollback target is r1: edge-4 is at it');
  assert.match(await cell('edge-1').innerText(), /r2\s+rolling back/);
  await screenshot(page, 'sets-rollout');
  assert.equal(await cspViolations(), []);
  assert.equal(errors, []);
  await page.context().close();
});

test('a fleet of 300 hosts pages through the grid; 360 px wide still shows every cell in one column', async () => {
  const many = Array.from({ length: 300 }, (_, i) => host(`node-${String(i).padStart(3, '0')}`, R2, { ready: true, available: true }));
  send('changes', { sets: [{ ...edge(many), metadata: { namespace: 'fleet', name: 'big', uid: 'u2', generation: 1 } }] });
  const { page } = await openPage(browser, { viewport: { width: 360, height: 800 } });
  snapshot = { ...snapshot, sets: [...snapshot.sets!, { ...edge(many), metadata: { namespace: 'fleet', name: 'big', uid: 'u2', generation: 1 } }] };
  await page.goto(`${url}/sets/fleet/big`);
  await page.locator('li.cell').first().waitFor({ timeout: 10_000 });
  assert.is(await page.locator('li.cell').count(), 120);
  assert.match(await page.locator('.pager').innerText(), /page 1 of 3 \(300 hosts\)/);
  await page.locator('.pager button', { hasText: 'Next' }).click();
  assert.match(await page.locator('.pager').innerText(), /page 2 of 3/);
  assert.is(await page.locator('li.cell').first().getAttribute('data-host'), 'node-120');
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
  assert.ok(overflow <= 0, `no horizontal scroll at 360 px (${overflow})`);
  await screenshot(page, 'sets-360');
  await page.context().close();
});

test.run();
