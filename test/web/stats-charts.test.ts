// The page's resource charts in a real Chromium against a real controller, agent and dockerd: the
// container view's memory chart says (in its caption, its accessible name and data-latest) what the
// stats API says, grows live without a reload, and keeps its history across a reload; the host view
// has totals and sparklines; both fit 360 px in light and dark, with no CSP violation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostStatsView } from '../../protocol/stats.js';
import { BerthEnv, until } from '../support/berth-env.js';
import { inPage, openPage, screenshot } from '../support/page.js';
import { containersYaml, servePageHost } from '../support/page-host.js';

const env = new BerthEnv();
const host = 'charts';
const hold = env.name('hold');
const browser = servePageHost(test, env, host, containersYaml(
  { name: hold, command: ['sh', '-c', "x=$(head -c 30000000 /dev/zero | tr '\\0' a); while :; do sleep 1; done"], resources: { memory: '128Mi' } },
), { controllerArgs: ['--stats-resolution', '2'], agentEnv: { BERTH_STATS_INTERVAL: '2' } });

const points = async (page: import('playwright-core').Page, selector: string) => Number(await page.locator(selector).first().getAttribute('data-points'));

test('the container view charts what the stats API says, live, and keeps it across a reload', async () => {
  const { page, cspViolations, errors } = await openPage(browser());
  await page.goto(`${env.url}/hosts/${env.namespace}/${host}/containers/${hold}`);
  const memory = 'berth-chart.memory figure';
  await until('three memory points', async () => (await points(page, memory)) >= 3, 40_000, 300);
  const latest = Number(await page.locator(memory).getAttribute('data-latest'));
  const api = (await env.get<HostStatsView>(`/api/v1/hosts/${env.namespace}/${host}/stats?container=${hold}`)).body;
  const apiLatest = api.containers[0]!.latest!.memoryBytes;
  assert.ok(Math.abs(latest - apiLatest) / apiLatest < 0.1, `chart ${latest} vs API ${apiLatest}`);
  assert.ok(latest > 25e6, `the ~30 MB held: ${latest}`);
  // In words, for a screen reader: the accessible name and the caption carry the numbers and the limit.
  const name = await page.getByRole('img', { name: /^Memory: now [\d.]+ MiB, min/ }).getAttribute('aria-label');
  assert.match(name ?? '', /limit 128\.0 MiB/);
  assert.match(await page.locator(memory).innerText(), /Memory\s+[\d.]+ MiB/);
  await page.getByRole('img', { name: /^CPU \(of \d+ cores\): now/ }).waitFor();

  // Live: more points arrive without a reload.
  const before = await points(page, memory);
  await until('a live sample', async () => (await points(page, memory)) > before, 20_000, 300);
  // A reload starts from the controller's history, not from nothing.
  const seen = await points(page, memory);
  await page.reload();
  await until('the history after a reload', async () => (await points(page, memory)) >= seen, 10_000, 100);
  // The container view (charts and the log tail, whose virtual rows are positioned through the
  // CSSOM: web/src/directives/cssom-style.ts) runs without a CSP violation or console error.
  assert.equal(await cspViolations(), []);
  assert.equal(errors, []);
  await page.context().close();
});

test('the host view: totals and a sparkline per container; 360 px light and dark', async () => {
  const strokes: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    const { page, cspViolations } = await openPage(browser(), { viewport: { width: 360, height: 740 }, colorScheme });
    await page.goto(`${env.url}/hosts/${env.namespace}/${host}`);
    await until('totals', async () => (await points(page, 'berth-stats-panel berth-chart.memory figure')) >= 1, 20_000, 300);
    const spark = page.locator(`tr[data-container="${hold}"] berth-chart.memory svg`);
    await spark.waitFor();
    assert.match((await spark.getAttribute('aria-label')) ?? '', /^Memory: now [\d.]+ MiB/);
    assert.ok(await inPage(page, 'document.documentElement.scrollWidth <= 360'), 'host view fits 360 px');
    await screenshot(page, `host-stats-360-${colorScheme}`);
    assert.equal(await cspViolations(), [], 'the host view: charts and sparklines without a CSP violation');
    await page.goto(`${env.url}/hosts/${env.namespace}/${host}/containers/${hold}`);
    await until('charts', async () => (await points(page, 'berth-chart.memory figure')) >= 1, 20_000, 300);
    assert.ok(await inPage(page, 'document.documentElement.scrollWidth <= 360'), 'container view fits 360 px');
    // The line is drawn in the theme's link colour, which differs between the themes.
    const stroke = await page.locator('berth-chart.memory path.line').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { stroke: string } }).getComputedStyle(el).stroke);
    assert.ok(stroke && stroke !== 'none', stroke);
    strokes.push(stroke);
    await screenshot(page, `container-stats-360-${colorScheme}`);
    await page.context().close();
  }
  assert.not.equal(strokes[0], strokes[1], 'each theme has its own line colour');
});

test.run();
