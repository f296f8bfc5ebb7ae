// Page auth in Kubernetes mode against the bed's real apiserver: TokenReview authenticates the
// token, SubjectAccessReview authorizes per namespace (alice and bob start with no rights; RBAC is
// granted here). The API answers 401/403, the page signs in through a token field (HttpOnly,
// SameSite=Strict session cookie) and says when access is refused — for the hosts and for the log
// socket — and the token never appears in the page.
import type { ChildProcess } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutputBuffer, startBerthController, stopProcess } from '../support/berth-process.js';
import { installCrds } from '../support/berth.js';
import { closeBrowsers, launchBrowser } from '../support/browser.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubeconfig, kubectl, kubeToken, readerRoleYaml } from '../support/kube.js';
import { deepContent, inPage, openPage, screenshot } from '../support/page.js';
import { until } from '../support/wait.js';
import { handshake } from '../support/ws-probe.js';

let ns = '';
let url = '';
let controller: ChildProcess | undefined;
let browser: Browser;
const output = new OutputBuffer();

const hostYaml = (namespace: string) => `apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: khost, namespace: ${namespace} }
spec:
  containers:
  - { name: c1, image: busybox:latest }
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: khost, namespace: ${namespace} }
spec: { hostRef: { name: khost } }
`;


async function get(path: string, token?: string): Promise<{ status: number; body: { message?: string; items?: Array<{ metadata: { name: string } }> } }> {
  const res = await fetch(`${url}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  let body = {};
  try { body = JSON.parse(text); } catch { /* event stream */ }
  return { status: res.status, body };
}

/** The status of a WebSocket handshake to the log socket (101 = upgraded). */
async function logSocketStatus(cookie: string): Promise<number> {
  return (await handshake(`${url}/api/v1/logs/ws?namespace=${ns}&host=khost&container=c1`, { Cookie: cookie, Origin: url }, { close: true })).status;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${url}/`);
  await page.getByLabel('Kubernetes bearer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test.before(async () => {
  await installCrds();
  ns = await createTestNamespace('bw-auth');
  await applyYaml(hostYaml(ns), { namespace: ns });
  await applyYaml(readerRoleYaml('berth-hosts-reader', ['containerhosts'], 'alice'), { namespace: ns });
  const started = await startBerthController(['--kube', '--kubeconfig', kubeconfig('admin'),
    '--namespace', ns, '--controller-namespace', ns, '--listen', '127.0.0.1:0', '--log-level', 'info'], { output });
  controller = started.child;
  url = started.url;
  await until('controller ready', async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
  browser = await launchBrowser();
});

test.after(async () => {
  await closeBrowsers();
  await stopProcess(controller);
  if (ns) await deleteTestNamespace(ns);
});

test('the API: no token 401, a user with `get containerhosts` sees hosts, one without gets 403', async () => {
  const none = await get('/api/v1/hosts');
  assert.is(none.status, 401);
  assert.is((await get('/api/v1/events')).status, 401);
  const alice = await get('/api/v1/hosts', kubeToken('alice'));
  assert.is(alice.status, 200, JSON.stringify(alice.body));
  assert.equal(alice.body.items?.map((h) => h.metadata.name), ['khost']);
  const bob = await get('/api/v1/hosts', kubeToken('bob'));
  assert.is(bob.status, 403);
  assert.match(bob.body.message ?? '', /bob may not get containerhosts/);
  assert.is((await get('/api/v1/events', kubeToken('bob'))).status, 403);
  assert.is((await get('/api/v1/tokens', kubeToken('alice'))).status, 403, 'alice may not read agent tokens');
  assert.is((await get('/api/v1/hosts', 'not-a-real-token')).status, 401);
});

test('alice signs in on the page: hosts shown, an HttpOnly SameSite=Strict cookie, no token anywhere in the page', async () => {
  const { page, cspViolations } = await openPage(browser);
  await page.goto(`${url}/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
  await screenshot(page, 'sign-in');
  await signIn(page, kubeToken('alice'));
  await page.locator(`tr[data-host="${ns}/khost"]`).waitFor({ timeout: 15_000 });
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'berth_session');
  assert.ok(session, 'a session cookie');
  assert.is(session!.httpOnly, true);
  assert.is(session!.sameSite, 'Strict');
  assert.is(session!.path, '/api');
  assert.ok(session!.expires > Date.now() / 1000 && session!.expires <= Date.now() / 1000 + 3601, 'short-lived');
  assert.not.ok(session!.value.includes(kubeToken('alice')));
  assert.is(await inPage(page, 'document.cookie'), '', 'the page cannot read it');
  assert.not.ok((await deepContent(page)).includes(kubeToken('alice')), 'the token is nowhere in the page');
  // Tokens view: alice lacks `get agenttokens`, and the page says so.
  await page.getByRole('link', { name: 'Tokens' }).click();
  await page.getByText('You may not view agent tokens').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('berth-tokens p.notice').innerText(), /alice may not get agenttokens/);
  assert.equal(await cspViolations(), []);
  await page.context().close();
});

test('bob signs in without rights: the page says he may not view hosts', async () => {
  const { page } = await openPage(browser);
  await signIn(page, kubeToken('bob'));
  const alert = page.locator('#forbidden');
  await alert.waitFor({ timeout: 15_000 });
  assert.match(await alert.innerText(), /Signed in as bob, but you may not view container hosts: bob may not get containerhosts/);
  await screenshot(page, 'no-access');
  await page.context().close();
});

test('a wrong token is refused on the page', async () => {
  const { page } = await openPage(browser);
  await signIn(page, 'definitely-not-a-token');
  await page.locator('#token-error').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('#token-error').innerText(), /token/i);
  assert.is((await page.context().cookies()).length, 0);
  await page.context().close();
});

test('without `get containerhosts/logs` the log socket answers 403 and the page says so; granted, it opens', async () => {
  const { page } = await openPage(browser);
  await signIn(page, kubeToken('alice'));
  await page.locator(`tr[data-host="${ns}/khost"]`).waitFor({ timeout: 15_000 });
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  assert.is(await logSocketStatus(cookie), 403);
  await page.goto(`${url}/hosts/${ns}/khost/containers/c1`);
  const conn = page.locator('berth-log-tail .conn[data-state="refused"]');
  await conn.waitFor({ timeout: 15_000 });
  assert.match(await conn.innerText(), /Not allowed: alice may not get containerhosts\/logs "khost" in the namespace "[^"]+"/);
  await screenshot(page, 'logs-forbidden');
  await applyYaml(readerRoleYaml('berth-logs-reader', ['containerhosts/logs'], 'alice'), { namespace: ns });
  // Decisions are cached ~10 s.
  await until('log socket allowed', async () => (await logSocketStatus(cookie)) === 101, 30_000, 1000);
  await page.context().close();
});

test('signing out ends the session', async () => {
  const { page } = await openPage(browser);
  await signIn(page, kubeToken('alice'));
  await page.locator(`tr[data-host="${ns}/khost"]`).waitFor({ timeout: 15_000 });
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
  const res = await fetch(`${url}/api/v1/hosts`, { headers: { Cookie: cookie } });
  assert.is(res.status, 401);
  await page.context().close();
});

test('the controller logs no token', async () => {
  const logs = output.text(Infinity);
  assert.not.ok(logs.includes(kubeToken('alice')));
  assert.not.ok(logs.includes(kubeToken('bob')));
  // The cluster view agrees alice can read hosts there and bob cannot.
  assert.match((await kubectl(['auth', 'can-i', 'get', 'containerhosts.berth.dev', '-n', ns], { as: 'alice' })).stdout, /yes/);
  assert.match((await kubectl(['auth', 'can-i', 'get', 'containerhosts.berth.dev', '-n', ns], { as: 'bob' })).stdout, /no/);
});

test.run();
