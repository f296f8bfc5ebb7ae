// Smoke test of the bed's `netns` component: a process in the namespace reaches the host end of the
// veth pair (TCP, both ways), has no route anywhere else, and sees the bed's dockerd over its socket.
import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { netnsVar } from '../support/netns.js';
import { bed } from '../support/testbed.js';

const run = promisify(execFile);
const inNs = (...cmd: string[]) => run('ip', ['netns', 'exec', netnsVar('BERTH_TEST_NETNS'), ...cmd], { timeout: 15_000 });

test('the namespace reaches the host end over TCP, and the connection comes from the namespace\'s address', async () => {
  const seen: string[] = [];
  const server = createServer((s) => { seen.push(s.remoteAddress ?? ''); s.end('hello'); });
  await new Promise<void>((r) => server.listen(0, netnsVar('BERTH_TEST_NETNS_HOST_ADDR'), () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    const { stdout } = await inNs(process.execPath, '-e', `require('net').connect(${port}, '${netnsVar('BERTH_TEST_NETNS_HOST_ADDR')}').on('data', (d) => { process.stdout.write(d); process.exit(0); })`);
    assert.is(stdout, 'hello');
    assert.equal(seen.map((a) => a.replace(/^::ffff:/, '')), [netnsVar('BERTH_TEST_NETNS_ADDR')]);
  } finally { server.close(); }
});

test('no route out of the namespace but its veth peer; the bed\'s dockerd is reachable over its unix socket', async () => {
  const routes = (await inNs('ip', 'route', 'show')).stdout;
  assert.not.match(routes, /default/, routes);
  const unreachable = await inNs('ip', 'route', 'get', '192.0.2.1').then(() => false, () => true);
  assert.ok(unreachable, 'another address is unreachable from the namespace');
  const { stdout } = await inNs('docker', '-H', bed('DOCKER_HOST'), 'version', '--format', '{{.Server.Version}}');
  assert.match(stdout.trim(), /^\d+\./);
});

test.run();
