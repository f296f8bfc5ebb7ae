// The upgrade router on a real loopback server: one handler per path, 404 JSON for the rest.
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { refuseUpgrade, UpgradeRouter } from './upgrade-router.js';

function upgrade(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
    req.on('response', (res) => { let body = ''; res.on('data', (c: Buffer) => { body += c; }); res.on('end', () => resolve({ status: res.statusCode ?? 0, body })); });
    req.on('upgrade', () => reject(new Error('unexpected upgrade')));
    req.on('error', reject);
    req.end();
  });
}

test('routes by path (query ignored) and answers 404 JSON elsewhere', async () => {
  const server = createServer();
  const router = new UpgradeRouter(server);
  const seen: string[] = [];
  router.route('/a', (req, socket) => { seen.push(req.url ?? ''); refuseUpgrade(socket, 418, { error: 'Teapot', message: 'a' }); });
  assert.throws(() => router.route('/a', () => undefined), /already registered/);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const a = await upgrade(port, '/a?x=1');
    assert.is(a.status, 418);
    assert.equal(JSON.parse(a.body), { error: 'Teapot', message: 'a' });
    assert.equal(seen, ['/a?x=1']);
    const other = await upgrade(port, '/b');
    assert.is(other.status, 404);
    assert.is((JSON.parse(other.body) as { error: string }).error, 'NotFound');
    router.close();
    assert.is(server.listenerCount('upgrade'), 0);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test.run();
