// The status page in a real Chromium against a real controller, agent and dockerd (directory mode,
// anonymous): hosts and containers listed, a container stopped out of band shown within 2 s with no
// reload, deep links, tokens never shown, source problems live, CSP without violations, caching and
// security headers, 360 px and dark mode (screenshots in test-results/web/).
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { deepContent, inPage, openPage, screenshot } from '../support/page.js';
import { containersYaml, servePageHost } from '../support/page-host.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const host = 'pagehost';
const [talker, quitter] = [env.name('talker'), env.name('quitter')];
const browser = servePageHost(test, env, host, containersYaml(
  { name: talker, command: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "out line $i"; echo "err line $i" >&2; sleep 1; done'] },
  { name: quitter, restartPolicy: 'Never', command: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1; done"] },
));

test('the host list shows the host with its agent, versions, ready count and conditions', async () => {
  const { page, cspViolations, errors } = await openPage(browser());
  await page.goto(`${env.url}/`);
  const row = page.locator(`tr[data-host="${env.namespace}/${host}"]`);
  await row.waitFor({ timeout: 10_000 });
  const text = await row.innerText();
  assert.match(text, /connected/);
  assert.match(text, /Docker \d+\.\d+/);
  assert.match(text, /agent \d+\.\d+/);
  assert.match(text, /2\/2/);
  const conditions = (await row.locator('berth-conditions li').allInnerTexts()).join('\n');
  for (const c of ['AgentConnected: True', 'Synced: True', 'Ready: True']) assert.ok(conditions.includes(c), `${c} in ${conditions}`);
  // A connected agent shows since when (its lastSeenAt is not in status any more: issue 17).
  assert.match(text, /connected (just now|\d+ (s|min) ago)/);
  assert.is(await page.title(), 'Hosts · Berth');
  // What a screen reader finds: landmarks, a named table, labelled links and a live status.
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  await page.getByRole('main').waitFor();
  await page.getByRole('table', { name: 'Container hosts' }).waitFor();
  assert.is(await page.getByRole('status').filter({ hasText: 'Live' }).count(), 1);
  assert.is(await page.getByRole('link', { name: 'Hosts' }).getAttribute('aria-current'), 'page');
  // By keyboard: Tab reaches the host link, Enter opens the host.
  let reached = false;
  for (let i = 0; i < 15 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await inPage<boolean>(page, `(() => { let a = document.activeElement; while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement; return a?.textContent === ${JSON.stringify(host)}; })()`);
  }
  assert.ok(reached, 'the host link is reachable with Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${env.url}/hosts/${env.namespace}/${host}`);
  await page.goBack();
  await row.waitFor();
  await screenshot(page, 'hosts-light');
  assert.equal(await cspViolations(), []);
  assert.equal(errors, []);
  await page.context().close();
});

test('host detail lists each container: desired vs actual, health, restarts, image and short image ID', async () => {
  const { page, cspViolations } = await openPage(browser());
  await page.goto(`${env.url}/hosts/${env.namespace}/${host}`);
  const row = page.locator(`tr[data-container="${talker}"]`);
  await row.waitFor({ timeout: 10_000 });
  const cells = await row.locator('td').allInnerTexts();
  assert.ok(cells[1]?.includes('Running'), `desired: ${cells[1]}`);
  assert.ok(cells[2]?.includes('Running'), `actual: ${cells[2]}`);
  assert.match(cells[4] ?? '', /^\d+$/);
  assert.ok(cells[5]?.includes(bed('BERTH_TEST_IMAGE')), cells[5]);
  assert.match(cells[5] ?? '', /[0-9a-f]{12}/, 'short image ID');
  assert.is(await page.locator('h1').innerText(), host);
  await screenshot(page, 'host-detail-light');
  assert.equal(await cspViolations(), []);
  await page.context().close();
});

test('a container stopped out of band shows its new state within 2 s, with no reload', async () => {
  const { page } = await openPage(browser());
  await page.goto(`${env.url}/hosts/${env.namespace}/${host}`);
  const actual = page.locator(`tr[data-container="${quitter}"] td.actual`);
  await until('quitter shown Running', async () => (await actual.innerText()).includes('Running'), 10_000);
  await inPage(page, 'window.__sameDocument = true');
  const stop = await docker(['stop', '-t', '1', quitter]);
  assert.is(stop.code, 0, stop.stderr);
  // The 2 s bound is the wait's own timeout (an assertion repeating it added nothing).
  await until('quitter shown Exited within 2 s', async () => (await actual.innerText()).includes('Exited'), 2_000, 50);
  assert.ok(await inPage(page, 'window.__sameDocument === true'), 'the page was not reloaded');
  await page.context().close();
});

test('deep links open the right view, and an unknown host or path says so', async () => {
  const { page } = await openPage(browser());
  await page.goto(`${env.url}/hosts/${env.namespace}/${host}/containers/${talker}`);
  await page.locator('dd.desired').waitFor({ timeout: 10_000 });
  assert.is(await page.locator('main h1').innerText(), talker);
  assert.is(await page.locator('dd.desired').innerText(), 'Running');
  assert.is(await page.title(), `${talker} on ${env.namespace}/${host} · Berth`);
  // Back to the host through the breadcrumb, by keyboard.
  await page.locator('.crumbs a', { hasText: host }).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`${env.url}/hosts/${env.namespace}/${host}`);
  assert.is(await page.locator('main h1').innerText(), host);
  assert.ok(await inPage(page, "document.activeElement?.shadowRoot?.activeElement?.tagName === 'H1'"), 'focus moved to the new heading');
  await page.goBack();
  await page.locator('dd.desired').waitFor();
  await page.goto(`${env.url}/hosts/${env.namespace}/nope`);
  await page.getByText(`No host ${env.namespace}/nope`).waitFor({ timeout: 10_000 });
  const missing = await page.goto(`${env.url}/no/such/page`);
  assert.is(missing?.status(), 404);
  await page.context().close();
});

test('the tokens view shows issue, expiry and last use, and never a token', async () => {
  const jwt = readFileSync(env.tokenFile(host), 'utf8').trim();
  const { page } = await openPage(browser());
  await page.goto(`${env.url}/tokens`);
  const row = page.locator(`tr[data-token="${env.namespace}/${host}"]`);
  await row.waitFor({ timeout: 10_000 });
  const text = await row.innerText();
  assert.match(text, /never \(until deleted\)/);
  assert.match(text, /ago|just now/, 'issued / last used times');
  const all = await deepContent(page);
  for (const part of jwt.split('.')) assert.not.ok(all.includes(part), 'no part of the JWT in the page');
  // Nor in what the page reads.
  const api = await (await fetch(`${env.url}/api/v1/tokens`)).text();
  assert.not.ok(api.includes(jwt.split('.')[2]!));
  await page.context().close();
});

test('source problems appear live on /sources and in the header', async () => {
  const { page } = await openPage(browser());
  await page.goto(`${env.url}/sources`);
  await page.getByText('No problems').waitFor({ timeout: 10_000 });
  env.write('broken.yaml', 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: bad, namespace: x }\nspec: { containers: [ { name: NOPE } ] }\n');
  try {
    const item = page.locator('li', { hasText: 'broken.yaml' }).first();
    await item.waitFor({ timeout: 10_000 });
    assert.match(await item.innerText(), /broken\.yaml/);
    assert.ok(await page.locator('nav .badge').isVisible(), 'problem count in the header');
    await screenshot(page, 'sources-light');
  } finally { env.remove('broken.yaml'); }
  await page.getByText('No problems').waitFor({ timeout: 10_000 });
  await page.context().close();
});

test('readable at 360 px, light and dark: no horizontal scrolling', async () => {
  for (const colorScheme of ['light', 'dark'] as const) {
    const { page, cspViolations } = await openPage(browser(), { viewport: { width: 360, height: 740 }, colorScheme });
    await page.goto(`${env.url}/`);
    await page.locator(`tr[data-host="${env.namespace}/${host}"]`).waitFor({ timeout: 10_000 });
    assert.ok(await inPage(page, 'document.documentElement.scrollWidth <= 360'), 'host list fits 360 px');
    await screenshot(page, `hosts-360-${colorScheme}`);
    await page.goto(`${env.url}/hosts/${env.namespace}/${host}`);
    await page.locator(`tr[data-container="${talker}"]`).waitFor({ timeout: 10_000 });
    assert.ok(await inPage(page, 'document.documentElement.scrollWidth <= 360'), 'host detail fits 360 px');
    await screenshot(page, `host-detail-360-${colorScheme}`);
    const bg = await inPage<string>(page, 'getComputedStyle(document.body).backgroundColor');
    assert.is(bg, colorScheme === 'dark' ? 'rgb(13, 17, 23)' : 'rgb(255, 255, 255)');
    assert.equal(await cspViolations(), []);
    await page.context().close();
  }
  const { page } = await openPage(browser(), { colorScheme: 'dark' });
  await page.goto(`${env.url}/hosts/${env.namespace}/${host}`);
  await page.locator(`tr[data-container="${talker}"]`).waitFor({ timeout: 10_000 });
  await screenshot(page, 'host-detail-dark');
  await page.context().close();
});

test('headers: a strict CSP everywhere, immutable hashed assets, index.html revalidated', async () => {
  const page = await fetch(`${env.url}/hosts/a/b`);
  assert.is(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.is(page.headers.get('cache-control'), 'no-cache');
  const csp = page.headers.get('content-security-policy') ?? '';
  for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"]) assert.ok(csp.includes(d), d);
  assert.not.ok(csp.includes('unsafe-inline'));
  assert.is(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  assert.not.match(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
  assert.not.match(html, /<style|style=/, 'no inline style');
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(asset, 'a hashed script');
  const js = await fetch(`${env.url}${asset}`);
  assert.match(js.headers.get('cache-control') ?? '', /max-age=31536000.*immutable|immutable.*max-age=31536000/);
  assert.is((await fetch(`${env.url}/assets/nope.js`)).status, 404);
  const api = await fetch(`${env.url}/api/v1/hosts`);
  assert.is(api.headers.get('cache-control'), 'no-store');
});

test('the event stream starts with a snapshot and has no token in it', async () => {
  const ac = new AbortController();
  const res = await fetch(`${env.url}/api/v1/events`, { signal: ac.signal });
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('\n\n', text.indexOf('event: snapshot'))) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  ac.abort();
  const data = JSON.parse(/event: snapshot\ndata: (.*)\n/.exec(text)![1]!) as { hosts: Array<{ metadata: { name: string } }>; tokens: unknown[] };
  assert.equal(data.hosts.map((h) => h.metadata.name), [host]);
  assert.is(data.tokens.length, 1);
  assert.not.ok(text.includes(readFileSync(env.tokenFile(host), 'utf8').trim().split('.')[2]!));
});

test.run();
