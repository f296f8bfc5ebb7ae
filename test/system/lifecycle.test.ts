// The container lifecycle on a real dockerd, through the real controller and agent processes:
// create, recreate on change (named volume kept), Stopped, out-of-band changes corrected, a name
// held by an unmanaged container, removal policies, and a broken manifest that deletes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const host = 'box';
const [a, b, c] = [env.name('a'), env.name('b'), env.name('c')];
const volume = env.name('data');
const port1 = 20000 + Math.floor(Math.random() * 5000);
const port2 = port1 + 5000;
const image1 = () => bed('BERTH_TEST_IMAGE');
const image2 = () => bed('BERTH_TEST_IMAGE_2');

let removalPolicy = 'Delete';
const containers: Record<string, string> = {};
function writeHost(): void {
  env.write('box.yaml', env.hostYaml(host, `removalPolicy: ${removalPolicy}\ncontainers:\n${Object.values(containers).join('\n')}`));
}
const loop = (name: string, extra = '') => `- name: ${name}
  image: ${image1()}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "while true; do echo ${name}; sleep 1; done"]
  stopTimeoutSeconds: 1${extra}`;
const web = (img: string, port: number, mode: string) => `- name: ${b}
  image: ${img}
  imagePullPolicy: IfNotPresent
  env: [{ name: MODE, value: "${mode}" }]
  command: ["sh", "-c", "mkdir -p /www && echo $MODE > /www/index.html && exec httpd -f -p 8080 -h /www"]
  ports: [{ containerPort: 8080, hostPort: ${port} }]
  volumes: [{ volume: ${volume}, mountPath: /data }]
  stopTimeoutSeconds: 1`;

const inspect = async (name: string) => {
  const r = await docker(['inspect', name]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Array<{ Id: string; State: { Status: string }; Config: { Labels: Record<string, string> } }>)[0] : undefined;
};
const httpGet = async (port: number) => { try { return (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim(); } catch { return undefined; } };

test.before(async () => {
  containers.a = loop(a); containers.b = web(image1(), port1, 'first'); containers.c = loop(c);
  writeHost();
  await env.startController();
  await env.startAgent(host);
});
test.after(async () => { await env.cleanup(); });

test('three declared containers are created, labelled and Ready', async () => {
  const h = await env.waitReady(host);
  assert.is(h.status.ready, '3/3');
  assert.is(condition(h, 'Synced')?.status, 'True');
  for (const name of [a, b, c]) {
    const info = await inspect(name);
    assert.is(info?.State.Status, 'running', name);
    assert.is(info?.Config.Labels['berth.dev/managed'], 'true');
    assert.is(info?.Config.Labels['berth.dev/host'], `${env.namespace}/${host}`);
    assert.is(info?.Config.Labels['berth.dev/host-uid'], h.metadata.uid);
  }
  assert.is(await until('web answers', () => httpGet(port1)), 'first');
});

test('changing image, env and ports recreates the container; named volume data survives', async () => {
  const before = (await inspect(b))!.Id;
  assert.is((await docker(['exec', b, 'sh', '-c', 'echo kept > /data/marker'])).code, 0);
  containers.b = web(image2(), port2, 'second');
  writeHost();
  await until('b recreated', async () => { const i = await inspect(b); return i && i.Id !== before && i.State.Status === 'running'; });
  await env.waitReady(host);
  assert.is((await docker(['exec', b, 'cat', '/data/marker'])).stdout.trim(), 'kept');
  assert.is((await docker(['exec', b, 'cat', '/berth-image-version'])).stdout.trim(), '2');
  assert.is(await until('web answers on the new port', () => httpGet(port2)), 'second');
  assert.is(await httpGet(port1), undefined, 'the old port is gone');
});

test('state: Stopped stops the container and keeps it', async () => {
  const id = (await inspect(c))!.Id;
  containers.c = loop(c, '\n  state: Stopped');
  writeHost();
  await until('c stopped', async () => (await inspect(c))?.State.Status === 'exited');
  assert.is((await inspect(c))!.Id, id, 'same container, not recreated');
  const h = await env.waitReady(host);
  assert.is(h.status.ready, '2/2');
  assert.is(h.status.containers?.find((x) => x.name === c)?.state, 'Stopped');
});

test('out-of-band docker stop and docker rm are corrected', async () => {
  await docker(['stop', '-t', '1', a]);
  await until('a running again', async () => (await inspect(a))?.State.Status === 'running');
  const before = (await inspect(b))!.Id;
  await docker(['rm', '-f', b]);
  await until('b recreated', async () => { const i = await inspect(b); return i && i.Id !== before && i.State.Status === 'running'; });
  await env.waitReady(host);
  assert.is((await docker(['exec', b, 'cat', '/data/marker'])).stdout.trim(), 'kept', 'the named volume outlived docker rm');
});

test('a name held by an unmanaged container is a clear error and the container is untouched', async () => {
  const squat = env.name('squat');
  assert.is((await docker(['run', '-d', '--name', squat, image1(), 'sleep', '3600'])).code, 0);
  const id = (await inspect(squat))!.Id;
  containers.squat = loop(squat);
  writeHost();
  const status = await env.waitHost(host, 'squat reported', (h) => h.status.containers?.find((x) => x.name === squat && x.state === 'Failed'));
  assert.match(status.message ?? '', 'NameConflict');
  const h = await env.host(host);
  assert.is(condition(h, 'Ready')?.status, 'False');
  assert.match(condition(h, 'Synced')?.message ?? '', squat);
  const after = await inspect(squat);
  assert.is(after?.Id, id);
  assert.is(after?.State.Status, 'running');
  assert.is(after?.Config.Labels['berth.dev/managed'], undefined);
  delete containers.squat;
  writeHost();
  await env.waitReady(host);
  assert.is((await inspect(squat))?.State.Status, 'running', 'removing it from the spec does not touch it either');
});

test('a container removed from the spec is removed (Delete) or left (Orphan)', async () => {
  delete containers.a;
  writeHost();
  await until('a removed', async () => (await inspect(a)) === undefined);
  assert.is((await docker(['volume', 'inspect', volume])).code, 0, 'named volumes are never removed');
  removalPolicy = 'Orphan';
  delete containers.c;
  writeHost();
  await env.waitHost(host, 'c orphaned', (h) => h.status.containers?.find((x) => x.name === c)?.message?.includes('orphaned'));
  assert.ok(await inspect(c), 'c is left in place');
});

test('a broken manifest is reported with its line, and nothing is deleted', async () => {
  const before = (await inspect(b))!.Id;
  env.write('box.yaml', `${env.hostYaml(host, `containers:\n- name: ${b}\n  image: [unclosed`)}`);
  const problems = await until('problem reported', async () => {
    const r = await env.get<{ problems: Array<{ source: string; line?: number; message: string }> }>('/api/v1/sources');
    return r.body.problems.length ? r.body.problems : undefined;
  });
  assert.match(problems[0]!.source, 'box.yaml');
  assert.ok(problems[0]!.line, 'the problem names a line');
  // The scan that reported the problem is the one that would have dropped the host: the store still
  // serves the last good spec (observed through the API, instead of sleeping 1.5 s and looking).
  const served = await env.host(host);
  assert.ok(served, 'the host is still served');
  assert.ok(JSON.stringify(served.spec).includes(`"${b}"`), `the last good spec is kept: ${JSON.stringify(served.spec)}`);
  assert.is((await inspect(b))?.Id, before, 'the container is untouched');
  assert.is(condition(await env.host(host), 'Ready')?.status, 'True', 'the host keeps its last good spec');
  writeHost();
  await until('problem cleared', async () => (await env.get<{ problems: unknown[] }>('/api/v1/sources')).body.problems.length === 0);
});

test.run();
