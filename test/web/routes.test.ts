// The HTTP surface is read-only: every route of the controller's express app is enumerated (by
// walking its router stack) and must accept only GET/HEAD — except POST /api/v1/session, the one
// route that turns a presented token into a session cookie (it changes no resource). The live server
// is then probed with every other method on every route, and must answer 405.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Controller } from '../../controller/controller.js';
import { NON_GET_ROUTES } from '../../controller/http/api.js';
import { DirectoryStore } from '../../controller/store/dir/dir-store.js';

interface Layer { route?: { path: string | string[]; methods: Record<string, boolean> }; rawPath?: unknown; handle: { stack?: Layer[] } }

const root = mkdtempSync(join(tmpdir(), 'berth-routes-'));
writeFileSync(join(root, 'host.yaml'), 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: h, namespace: ns }\nspec: { containers: [ { name: c, image: busybox } ] }\n');
const controller = new Controller({
  store: new DirectoryStore({ paths: [root], stateDir: join(root, '.state'), logger: pino({ level: 'silent' }) }),
  logger: pino({ level: 'silent' }), version: 'test', listen: { host: '127.0.0.1', port: 0 },
});

function routes(stack: Layer[]): Array<{ path: string; methods: string[] }> {
  const out: Array<{ path: string; methods: string[] }> = [];
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) out.push({ path, methods: Object.keys(layer.route.methods).filter((m) => layer.route!.methods[m]).map((m) => m.toUpperCase()) });
    } else if (layer.handle.stack) {
      out.push(...routes(layer.handle.stack));   // a mounted router
    }
  }
  return out;
}

/** A concrete URL for a route pattern (parameters filled in). */
const concrete = (path: string) => path.replace(/\*\w+/g, 'x/y').replace(/:(\w+)/g, 'p-$1');

test.before(async () => { await controller.start(); });
test.after(async () => { await controller.stop(); rmSync(root, { recursive: true, force: true }); });

test('every route accepts only GET/HEAD, except POST /api/v1/session', () => {
  const app = controller.httpApp!;
  const found = routes((app as unknown as { router: { stack: Layer[] } }).router.stack);
  assert.ok(found.length >= 10, `found ${found.length} routes`);
  for (const path of ['/api/v1/hosts', '/api/v1/events', '/api/v1/session', '/api/v1/logs/check', '/healthz', '/metrics']) {
    assert.ok(found.some((r) => r.path === path), `${path} is enumerated`);
  }
  const allowed = new Set(['GET', 'HEAD']);
  const offending = found.flatMap((r) => r.methods.filter((m) => !allowed.has(m) && !NON_GET_ROUTES.some((x) => x.method === m && x.path === r.path)).map((m) => `${m} ${r.path}`));
  assert.equal(offending, [], 'routes accepting a method that changes state');
  assert.equal(NON_GET_ROUTES, [{ method: 'POST', path: '/api/v1/session' }]);
});

test('the live server answers 405 to every other method on every route', async () => {
  const found = routes((controller.httpApp as unknown as { router: { stack: Layer[] } }).router.stack);
  const paths = [...new Set(found.map((r) => concrete(r.path))), '/', '/assets/x.js', '/nope'];
  for (const path of paths) {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
      if (method === 'POST' && path === '/api/v1/session') continue;
      const res = await fetch(`${controller.address}${path}`, { method, headers: { 'Content-Type': 'application/json' }, body: method === 'OPTIONS' ? null : '{}' });
      assert.is(res.status, 405, `${method} ${path} → ${res.status}`);
      assert.match(res.headers.get('allow') ?? '', /^GET, HEAD/);
    }
  }
});

test('POST /api/v1/session changes nothing in directory mode and refuses foreign origins and non-JSON', async () => {
  const url = `${controller.address}/api/v1/session`;
  const anon = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"token":"x"}' });
  assert.is(anon.status, 400);
  assert.is(anon.headers.get('set-cookie'), null);
  const foreign = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' }, body: '{"token":"x"}' });
  assert.is(foreign.status, 403);
  const form = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=x' });
  assert.is(form.status, 415);
  const who = await (await fetch(url)).json() as { mode: string; user: string };
  assert.equal([who.mode, who.user], ['anonymous', 'anonymous']);
});

test('WebSocket upgrades exist only at the agent endpoint and the log socket', async () => {
  const { request } = await import('node:http');
  const upgrade = (path: string) => new Promise<number>((resolve, reject) => {
    const req = request(`${controller.address}${path}`, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 101); });
    req.on('error', reject);
    req.end();
  });
  assert.is(await upgrade('/api/v1/hosts'), 404);
  assert.is(await upgrade('/api/v1/events'), 404);
  assert.is(await upgrade('/agent/v1/connect'), 401, 'the agent endpoint wants a token');
  assert.is(await upgrade('/api/v1/logs/ws?namespace=ns&host=h&container=c'), 101, 'anonymous log tail in directory mode');
});

test.run();
