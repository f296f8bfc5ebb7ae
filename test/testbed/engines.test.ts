// Smoke test of the bed's `engines` component: three extra dockerd engines for multi-host tests.
// Each is its own engine (its containers are invisible to the others), has the test images with the
// first engine's image ids, runs containers on its default bridge and on user-defined networks with
// name resolution, publishes ports on 127.0.0.1, and the first engine's docker0 is still there.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { bed } from '../support/testbed.js';
import { cleanup, docker, dockerHosts, dockerOk, eventually, randomToken, restartExtraEngine, uniqueName } from '../support/docker.js';

test.after(cleanup);

const httpd = (token: string): string[] =>
  ['sh', '-c', `mkdir -p /www && echo ${token} > /www/index.html && exec httpd -f -p 80 -h /www`];

test('BERTH_TEST_DOCKER_HOSTS names three distinct engines, none of them the first', async () => {
  const hosts = dockerHosts();
  assert.is(hosts.length, 3, hosts.join(' '));
  assert.is(new Set(hosts).size, 3);
  assert.not.ok(hosts.includes(bed('DOCKER_HOST')));
  const ids = await Promise.all([bed('DOCKER_HOST'), ...hosts].map((host) => dockerOk(['info', '--format', '{{.ID}}'], { host })));
  assert.is(new Set(ids).size, 4, `engine ids ${ids.join(' ')}`);
});

test('a container on one engine is seen by that engine only', async () => {
  const [e1, e2] = dockerHosts();
  const name = uniqueName();
  await dockerOk(['run', '-d', '--name', name, bed('BERTH_TEST_IMAGE'), 'sleep', '300'], { host: e1 });
  assert.is(await dockerOk(['inspect', '-f', '{{.State.Running}}', name], { host: e1 }), 'true');
  assert.is.not((await docker(['inspect', name], { host: e2 })).code, 0, 'not on e2');
  assert.is.not((await docker(['inspect', name])).code, 0, 'not on the first engine');
});

test('every engine has the test images with the first engine\'s image ids', async () => {
  for (const ref of [bed('BERTH_TEST_IMAGE'), bed('BERTH_TEST_IMAGE_2'), 'busybox:latest']) {
    const want = await dockerOk(['image', 'inspect', '-f', '{{.Id}}', ref]);
    for (const host of dockerHosts()) {
      assert.is(await dockerOk(['image', 'inspect', '-f', '{{.Id}}', ref], { host }), want, `${ref} on ${host}`);
    }
  }
});

test('on each engine, containers reach each other by name on a user-defined network and by IP on the default bridge', async () => {
  await Promise.all(dockerHosts().map(async (host) => {
    const token = randomToken();
    const server = uniqueName();
    const net = uniqueName('berth-test-net');
    await dockerOk(['network', 'create', net], { host });
    try {
      await dockerOk(['run', '-d', '--name', server, '--network', net, bed('BERTH_TEST_IMAGE'), ...httpd(token)], { host });
      const byName = await eventually(() => dockerOk(['run', '--rm', '--network', net, bed('BERTH_TEST_IMAGE'),
        'sh', '-c', `timeout 3 wget -qO- http://${server}/`], { host }));
      assert.is(byName, token, `by name on ${host}`);
      await dockerOk(['network', 'connect', 'bridge', server], { host });
      const ip = await dockerOk(['inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', server], { host });
      assert.match(ip, /^10\.200\.\d\.\d+$/, 'default bridge is the engine\'s own br-berthN range');
      const byIp = await eventually(() => dockerOk(['run', '--rm', bed('BERTH_TEST_IMAGE'),
        'sh', '-c', `timeout 3 wget -qO- http://${ip}/`], { host }));
      assert.is(byIp, token, `by IP on ${host}`);
      const netIp = await dockerOk(['inspect', '-f', `{{(index .NetworkSettings.Networks "${net}").IPAddress}}`, server], { host });
      assert.match(netIp, /^10\.21[1-3]\./, 'user-defined network from the engine\'s own pool');
    } finally {
      await docker(['rm', '-f', server], { host });
      await docker(['network', 'rm', net], { host });
    }
  }));
});

test('an extra engine publishes a port on 127.0.0.1', async () => {
  const host = dockerHosts()[2]!;
  const name = uniqueName();
  const token = randomToken();
  await dockerOk(['run', '-d', '--name', name, '-p', '127.0.0.1::80', bed('BERTH_TEST_IMAGE'), ...httpd(token)], { host });
  const out = await dockerOk(['port', name, '80/tcp'], { host });
  const port = Number(/:(\d+)\s*$/m.exec(out.split('\n')[0] ?? '')?.[1]);
  assert.ok(port > 0, out);
  const body = await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) });
    return (await res.text()).trim();
  });
  assert.is(body, token);
});

test('the first engine keeps docker0 and its own bridge network', async () => {
  const links = execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' });
  assert.match(links, /^docker0\s/m);
  const subnet = await dockerOk(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', 'bridge']);
  assert.not.match(subnet, /^10\.2[01]\d\./, 'the first engine\'s bridge is not one of the extra ranges');
  const token = randomToken();
  assert.is(await dockerOk(['run', '--rm', '--name', uniqueName(), bed('BERTH_TEST_IMAGE'), 'echo', token]), token);
});

// dockerd 20.10 deletes the link named docker0 when it restarts over a data root that has its bridge
// network and default address pools are set (unless live-restore is on): this is the guard for it.
test('restarting an extra engine keeps docker0, the first engine working, and its own containers running', async () => {
  const host = dockerHosts()[1]!;
  const name = uniqueName();
  await dockerOk(['run', '-d', '--name', name, bed('BERTH_TEST_IMAGE'), 'sleep', '300'], { host });
  const before = await dockerOk(['inspect', '-f', '{{.State.StartedAt}}', name], { host });
  await restartExtraEngine(host);
  assert.match(execFileSync('ip', ['-br', 'link'], { encoding: 'utf8' }), /^docker0\s/m, 'docker0 still there');
  const token = randomToken();
  assert.is(await dockerOk(['run', '--rm', '--name', uniqueName(), bed('BERTH_TEST_IMAGE'), 'echo', token]), token, 'first engine runs containers');
  assert.is(await dockerOk(['inspect', '-f', '{{.State.Running}} {{.State.StartedAt}}', name], { host }), `true ${before}`, 'not restarted');
  assert.is(await dockerOk(['run', '--rm', bed('BERTH_TEST_IMAGE'), 'echo', token], { host }), token, 'the engine runs containers again');
});

test.run();
