// Directory mode locked down (issue 12 item 5 and its tests): the real `berth controller` process.
//  - Without sign-in it refuses to listen off loopback, and says what to do instead.
//  - DNS rebinding: every route and every WebSocket upgrade (page, API, page feed, log socket, exec
//    socket, agent endpoint) answers 421 to a Host that is not one of its names — by raw requests,
//    and in the bed's Chromium under a name mapped to 127.0.0.1 (what a rebinding DNS does).
//  - --ui-auth token: the API wants the UI token (bearer) or a session cookie made from it; the page
//    asks for it once (the form says "UI token") and then shows the hosts.
//  - Session flooding: sign-in is rate-limited per address (429 + Retry-After).
import { request } from 'node:http';
import { connect } from 'node:net';
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv } from '../support/berth-env.js';
import { launchBrowser, closeBrowsers } from '../support/browser.js';
import { repoRoot } from '../support/paths.js';
import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { handshake } from '../support/ws-probe.js';

const env = new BerthEnv();

/** A GET with a Host header of our choosing (fetch may not set Host). */
function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(env.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const u = new URL(env.url);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers } }, (res) => {
      let b = '';
      res.on('data', (c: Buffer) => { b += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

test.before(async () => {
  env.write('host.yaml', env.hostYaml('locked', `containers:\n- { name: ${env.name('web')}, image: busybox }`));
  await env.startController(['--ui-auth', 'token', '--public-name', 'berth.test']);
});
test.after(async () => { await closeBrowsers(); await env.cleanup(); });

test('without sign-in, directory mode refuses to listen off loopback and names --ui-auth token', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/berth.js'), 'controller', '--dir', env.manifests, '--state', join(env.root, 'anon'), '--listen', '0.0.0.0:0'], { encoding: 'utf8', timeout: 20_000 });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /without sign-in, directory mode serves loopback only/);
  assert.match(r.stderr, /--ui-auth token/);
  assert.not.match(r.stderr, /at .*\.js:\d+/, 'a message, not a stack trace');
});

test('a malformed state directory: the controller exits with one line naming the file and field, never a TypeError', () => {
  const bad = join(env.root, 'bad-state');
  mkdirSync(bad);
  writeFileSync(join(bad, 'state.json'), '{"version": 1, "resourceVersion": 3, "files": {}, "held": {}, "meta": {}, "tombstones": []}');
  const berth = (state: string) => spawnSync(process.execPath, [join(repoRoot, 'bin/berth.js'), 'controller', '--dir', env.manifests, '--state', state, '--listen', '127.0.0.1:0'], { encoding: 'utf8', timeout: 20_000 });
  const shape = berth(bad);
  assert.is(shape.status, 1, shape.stderr);
  assert.match(shape.stderr, /state file .*bad-state\/state\.json is not a Berth state file \(held: must be a list of resources\)/);
  assert.not.match(shape.stderr, /TypeError|at .*\.js:\d+/);
  assert.match(readFileSync(join(bad, 'state.json'), 'utf8'), /"held": \{\}/, 'left as it was');
  const file = join(env.root, 'state-is-a-file');
  writeFileSync(file, 'x');
  const notDir = berth(file);
  assert.is(notDir.status, 1, notDir.stderr);
  assert.match(notDir.stderr, /state-is-a-file: a file where the state directory .* should be \(--state\)/);
  assert.not.match(notDir.stderr, /at .*\.js:\d+/);
});

test('DNS rebinding: a foreign Host is answered 421 on every route; the loopback names and --public-name are served', async () => {
  const port = new URL(env.url).port;
  const auth = { authorization: `Bearer ${env.uiToken()}` };
  for (const path of ['/', '/hosts', '/api/v1/hosts', '/api/v1/events', '/api/v1/session', '/metrics', '/assets/x.js', '/nope', '/healthz?x', '/readyz/']) {
    const r = await get(path, { ...auth, host: `attacker.example:${port}` });
    assert.is(r.status, 421, `${path} under attacker.example`);
    assert.match((JSON.parse(r.body) as { message: string }).message, /does not answer to the name "attacker\.example:\d+".*--public-name/);
  }
  // The probes alone answer any Host (kubelet probes by Pod IP); they show no data.
  const probe = await get('/healthz', { host: 'attacker.example' });
  assert.equal([probe.status, probe.body], [200, 'ok']);
  const signIn = await post('/api/v1/session', { token: env.uiToken() }, { host: 'attacker.example' });
  assert.is(signIn.status, 421, 'sign-in under a rebinding name');
  assert.is(signIn.headers['set-cookie'], undefined);
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `berth.test:${port}`]) {
    assert.is((await get('/api/v1/hosts', { ...auth, host })).status, 200, host);
  }
  // HTTP/1.0 may omit Host (Node lets it through): no name is no allowed name.
  const raw = await new Promise<string>((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1', () => s.end(`GET /api/v1/hosts HTTP/1.0\r\nAuthorization: Bearer ${env.uiToken()}\r\n\r\n`));
    let out = '';
    s.on('data', (c: Buffer) => { out += c.toString(); });
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
  assert.match(raw, /^HTTP\/1\.1 421 /, 'no Host header');
});

test('DNS rebinding: every WebSocket upgrade is refused 421 before its own checks', async () => {
  const token = env.uiToken();
  for (const path of ['/agent/v1/connect', `/api/v1/logs/ws?namespace=${env.namespace}&host=locked&container=x`, '/api/v1/exec', '/nope']) {
    const r = await handshake(`${env.url}${path}`, { Host: 'attacker.example', Authorization: `Bearer ${token}` });
    assert.is(r.status, 421, path);
    assert.match(r.body ?? '', /MisdirectedRequest/);
  }
  const ok = await handshake(`${env.url}/agent/v1/connect`, {});
  assert.is(ok.status, 401, 'under its own name the agent endpoint answers (401: no token)');
});

test('--ui-auth token: anonymous reads are refused; the UI token (bearer) and a session cookie made from it are accepted', async () => {
  const anon = await get('/api/v1/hosts');
  assert.is(anon.status, 401);
  assert.match(anon.body, /UI token/);
  const session = JSON.parse((await get('/api/v1/session')).body) as { mode: string };
  assert.is(session.mode, 'token', 'the page learns what to ask for');
  assert.is((await get('/api/v1/hosts', { authorization: `Bearer ${env.uiToken()}` })).status, 200);
  assert.is((await get('/api/v1/hosts', { authorization: `Bearer ${'A'.repeat(43)}` })).status, 401);
  const wrong = await post('/api/v1/session', { token: 'guess' });
  assert.is(wrong.status, 401);
  const ok = await post('/api/v1/session', { token: env.uiToken() });
  assert.is(ok.status, 200, ok.body);
  const cookie = String([ok.headers['set-cookie']].flat()[0]);
  assert.match(cookie, /^berth_session=[\w-]+; Path=\/api; Max-Age=\d+; HttpOnly; SameSite=Strict/);
  assert.not.ok(cookie.includes(env.uiToken()), 'the cookie is not the token');
  const withCookie = await get('/api/v1/hosts', { cookie: cookie.split(';')[0]! });
  assert.is(withCookie.status, 200);
  assert.match(withCookie.body, /"locked"/);
  const logs = await handshake(`${env.url}/api/v1/logs/ws?namespace=${env.namespace}&host=locked&container=${env.name('web')}`, {});
  assert.is(logs.status, 401, 'log tails need sign-in too');
});

test('the operator verbs follow: berth get reads with the UI token (BERTH_TOKEN_FILE) once the controller asks for it', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin/berth.js'), 'get', 'hosts', '--server', env.url], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, BERTH_TOKEN_FILE: join(env.state, 'ui-token') } });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /locked/);
});

test('in Chromium: a rebinding name gets 421; under its own name the page asks for the UI token once and shows the hosts', async () => {
  const port = new URL(env.url).port;
  const browser = await launchBrowser([`--host-resolver-rules=MAP rebind.test 127.0.0.1`]);
  const page = await browser.newPage();
  const rebound = await page.goto(`http://rebind.test:${port}/api/v1/hosts`);
  assert.is(rebound?.status(), 421, 'the rebinding name reaches the controller and is refused');
  await page.goto(`${env.url}/`);
  const label = page.getByLabel('UI token');
  await label.waitFor({ timeout: 20_000 });
  await label.fill(env.uiToken());
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'locked' }).first().waitFor({ timeout: 20_000 });
  const cookies = await page.context().cookies();
  assert.ok(cookies.some((c) => c.name === 'berth_session' && c.httpOnly), 'an HttpOnly session cookie');
  await page.close();
});

test('session flooding: sign-in from one address is rate-limited (429 with Retry-After)', async () => {
  const answers: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < 40; i++) {
    const r = await post('/api/v1/session', { token: env.uiToken() });
    answers.push(r.status);
    if (r.status === 429) retryAfter = String(r.headers['retry-after']);
  }
  assert.ok(answers.includes(429), `some sign-ins refused: ${answers.join(',')}`);
  assert.ok(answers.filter((s) => s === 200).length <= 21, `at most the burst got through: ${answers.join(',')}`);
  assert.match(retryAfter ?? '', /^\d+$/);
  assert.is((await get('/api/v1/hosts', { authorization: `Bearer ${env.uiToken()}` })).status, 200, 'reads still work');
});

test.run();
