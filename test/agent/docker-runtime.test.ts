// The agent's Docker runtime against the bed's real dockerd: every test asserts what the engine
// really did. Everything created is named berth-t-agent-<random>... and removed afterwards.
import Docker from 'dockerode';
import { mkdtempSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec, HostPolicy } from '../../protocol/container.js';
import { DockerRuntime } from '../../agent/docker-runtime.js';
import { RuntimeError } from '../../agent/runtime.js';
import { cleanup, docker, dockerOk, eventually, randomToken, uniqueImage } from '../support/docker.js';
import { bed } from '../support/testbed.js';
import { removeLeftoversOnExit } from './leftovers.js';

process.env.DOCKER_HOST = bed('DOCKER_HOST');
const prefix = `berth-t-agent-${randomToken()}`;
removeLeftoversOnExit(prefix);
const hostKey = `berth-test/${prefix}`;
const runtime = new DockerRuntime({ hostKey, docker: new Docker(), pullTimeoutMs: 60_000, eventDebounceMs: 50 });
const policy: HostPolicy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: ['/srv'] };
const ctx = { policy, hostUid: 'uid-1' };
const tempDirs: string[] = [];
const pushed: string[] = [];

const spec = (name: string, over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: `${prefix}-${name}`, image: bed('BERTH_TEST_IMAGE'), imagePullPolicy: 'IfNotPresent', state: 'Running',
  command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
  env: [], ports: [], volumes: [], restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false,
  stopTimeoutSeconds: 2, logging: { maxSizeBytes: 1024 * 1024, maxFiles: 2 }, specHash: 'h1', ...over,
});

async function inspect(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
  const r = await docker(['inspect', name]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Docker.ContainerInspectInfo[])[0] : undefined;
}
async function volumeExists(name: string): Promise<boolean> { return (await docker(['volume', 'inspect', name])).code === 0; }
async function rejection(p: Promise<unknown>): Promise<RuntimeError> {
  try { await p; } catch (err) { assert.instance(err, RuntimeError); return err as RuntimeError; }
  throw new Error('expected a rejection');
}
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

test.after(async () => {
  // `docker`, not `dockerOk`: a failing listing must not skip the rest of the cleanup.
  const ids = (await docker(['ps', '-aq', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
  const vols = (await docker(['volume', 'ls', '-q', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (vols.length) await docker(['volume', 'rm', '-f', ...vols]);
  await cleanup();
  const auth = `Basic ${Buffer.from(`${bed('BERTH_TEST_REGISTRY_USER')}:${bed('BERTH_TEST_REGISTRY_PASSWORD')}`).toString('base64')}`;
  for (const ref of pushed) {
    try {
      const [repo, tag] = ref.slice(bed('BERTH_TEST_REGISTRY').length + 1).split(':');
      const url = `http://${bed('BERTH_TEST_REGISTRY')}/v2/${repo}/manifests/`;
      const head = await fetch(url + tag, { method: 'HEAD', headers: { authorization: auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
      const digest = head.headers.get('docker-content-digest');
      if (digest) await fetch(url + digest, { method: 'DELETE', headers: { authorization: auth } });
    } catch { /* the registry keeps a manifest; harmless */ }
  }
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

// One web container carried through the first tests: create → no-op → replace → stop → remove.
const volume = `${prefix}-data`;
const token = randomToken();
let port = 0;
let firstId = '';
const web = (over: Partial<ContainerSpec> = {}) => spec('web', {
  command: ['sh', '-c', 'mkdir -p /www && echo "$TOKEN" > /www/index.html && cat /berth-image-version > /data/seen-$(cat /berth-image-version) && exec httpd -f -p 80 -h /www'],
  env: [{ name: 'TOKEN', value: token }, { name: 'MODE', value: 'a=b' }],
  ports: [{ containerPort: 80, hostPort: port, protocol: 'TCP' }],
  volumes: [{ volume, mountPath: '/data', readOnly: false }],
  stopTimeoutSeconds: 1,
  ...over,
});

test('apply creates and starts a container with labels, env, a published port and a named volume', async () => {
  port = await freePort();
  const observed = await runtime.apply(web(), ctx);
  assert.is(observed.state, 'running');
  assert.is(observed.name, `${prefix}-web`);
  assert.is(observed.specHash, 'h1');
  assert.is(observed.hostUid, 'uid-1');
  assert.is(observed.image, bed('BERTH_TEST_IMAGE'));
  firstId = observed.containerID;

  const info = (await inspect(`${prefix}-web`))!;
  assert.is(info.Id, firstId);
  assert.equal(Object.fromEntries(Object.entries(info.Config.Labels).filter(([k]) => k.startsWith('berth.dev/'))), {
    'berth.dev/managed': 'true', 'berth.dev/host': hostKey, 'berth.dev/host-uid': 'uid-1', 'berth.dev/name': `${prefix}-web`, 'berth.dev/spec-hash': 'h1',
  });
  assert.ok(info.Config.Env.includes(`TOKEN=${token}`) && info.Config.Env.includes('MODE=a=b'));
  assert.is(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
  assert.equal(info.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-file': '2', 'max-size': '1048576' } });
  const body = await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/index.html`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return (await res.text()).trim();
  });
  assert.is(body, token);
  const vol = JSON.parse(await dockerOk(['volume', 'inspect', volume]))[0] as { Labels: Record<string, string> };
  assert.is(vol.Labels['berth.dev/managed'], 'true');
});

test('re-apply with the same spec hash is a no-op: same container, not restarted', async () => {
  const before = (await inspect(`${prefix}-web`))!;
  const observed = await runtime.apply(web(), ctx);
  assert.is(observed.containerID, firstId);
  const after = (await inspect(`${prefix}-web`))!;
  assert.is(after.State.StartedAt, before.State.StartedAt);
});

test('a changed spec (image :1 → :2) recreates the container; the named volume keeps its data', async () => {
  const observed = await runtime.apply(web({ image: bed('BERTH_TEST_IMAGE_2'), specHash: 'h2' }), ctx);
  assert.is.not(observed.containerID, firstId);
  assert.is(observed.specHash, 'h2');
  assert.is(await inspect(firstId), undefined, 'the old container is gone');
  assert.is(await dockerOk(['exec', `${prefix}-web`, 'cat', '/berth-image-version']), '2');
  const files = await eventually(async () => {
    const ls = (await dockerOk(['exec', `${prefix}-web`, 'ls', '/data'])).split('\n');
    if (!ls.includes('seen-2')) throw new Error(`not yet: ${ls.join(' ')}`);
    return ls;
  });
  assert.ok(files.includes('seen-1'), `data written by the first container survives: ${files.join(' ')}`);
  firstId = observed.containerID;
});

test('state Stopped stops the container without removing it; Running starts the same one again', async () => {
  const stopped = await runtime.apply(web({ image: bed('BERTH_TEST_IMAGE_2'), specHash: 'h2', state: 'Stopped' }), ctx);
  assert.is(stopped.containerID, firstId);
  assert.is(stopped.state, 'exited');
  assert.is((await inspect(`${prefix}-web`))!.State.Running, false);
  const again = await runtime.apply(web({ image: bed('BERTH_TEST_IMAGE_2'), specHash: 'h2' }), ctx);
  assert.is(again.containerID, firstId);
  assert.is(again.state, 'running');
});

test('inventory lists this host\'s managed containers only', async () => {
  const inv = await runtime.inventory();
  assert.equal(inv.map((c) => c.containerID), [firstId]);
  assert.is(inv[0]!.restartCount, 0);
  assert.ok(inv[0]!.startedAt);
  const other = new DockerRuntime({ hostKey: `berth-test/${prefix}-other` });
  assert.equal(await other.inventory(), []);
});

test('remove stops and removes the container; the named volume stays; removing again is fine', async () => {
  await runtime.remove(`${prefix}-web`);
  assert.is(await inspect(`${prefix}-web`), undefined);
  assert.ok(await volumeExists(volume), 'named volumes are never removed');
  await runtime.remove(`${prefix}-web`);
  assert.equal(await runtime.inventory(), []);
});

test('a name held by an unmanaged container (or another host\'s) → NameConflict, the container untouched', async () => {
  const name = `${prefix}-squat`;
  const id = await dockerOk(['run', '-d', '--name', name, bed('BERTH_TEST_IMAGE'), 'sleep', '600']);
  const err = await rejection(runtime.apply(spec('squat'), ctx));
  assert.is(err.code, 'NameConflict');
  assert.match(err.message, new RegExp(`"${name}" is held by container ${id.slice(0, 12)} which Berth does not manage`));
  assert.match(err.message, /Berth will not take it over/);
  const removeErr = await rejection(runtime.remove(name));
  assert.is(removeErr.code, 'NameConflict');
  const info = (await inspect(name))!;
  assert.is(info.Id, id);
  assert.is(info.State.Running, true);

  const foreign = `${prefix}-foreign`;
  const fid = await dockerOk(['run', '-d', '--name', foreign, '--label', 'berth.dev/managed=true', '--label', 'berth.dev/host=other/host', bed('BERTH_TEST_IMAGE'), 'sleep', '600']);
  const ferr = await rejection(runtime.apply(spec('foreign'), ctx));
  assert.is(ferr.code, 'NameConflict');
  assert.match(ferr.message, /manages for host "other\/host"/);
  assert.is((await inspect(foreign))!.Id, fid);
});

test('policy violations are refused before anything is created or pulled', async () => {
  const root = mkdtempSync(join(tmpdir(), `${prefix}-root-`));
  tempDirs.push(root);
  mkdirSync(join(root, 'ok'));
  symlinkSync('/etc', join(root, 'escape'));
  const withVolume = { volumes: [{ volume: `${prefix}-never`, mountPath: '/v', readOnly: false }] };
  const cases: Array<[Partial<ContainerSpec>, HostPolicy, RegExp]> = [
    [{ privileged: true }, policy, /allowPrivileged/],
    [{ network: 'host' }, policy, /allowHostNetwork/],
    [{ volumes: [{ hostPath: '/etc', mountPath: '/e', readOnly: true }, ...withVolume.volumes] }, policy, /"\/etc" is not under an allowed host path/],
    [{ volumes: [{ hostPath: '/srv/../etc', mountPath: '/e', readOnly: true }] }, policy, /not an absolute, normalized path/],
    [{ volumes: [{ hostPath: join(root, 'escape'), mountPath: '/e', readOnly: true }, ...withVolume.volumes] }, { ...policy, allowedHostPaths: [root] }, /resolves through a symlink to "\/etc"/],
    [{ image: 'berth-test/never-pulled:1', imagePullPolicy: 'Always', privileged: true }, policy, /allowPrivileged/],
  ];
  for (const [over, pol, message] of cases) {
    const err = await rejection(runtime.apply(spec('denied', over), { ...ctx, policy: pol }));
    assert.is(err.code, 'PolicyViolation', err.message);
    assert.match(err.message, message);
  }
  assert.is(await inspect(`${prefix}-denied`), undefined, 'no container was created');
  assert.not.ok(await volumeExists(`${prefix}-never`), 'no volume was created');
  // The same symlinked tree is fine for a path that stays inside.
  const ok = await runtime.apply(spec('bind', { volumes: [{ hostPath: join(root, 'ok'), mountPath: '/ok', readOnly: true }] }), { ...ctx, policy: { ...policy, allowedHostPaths: [root] } });
  assert.is(ok.state, 'running');
  assert.equal((await inspect(`${prefix}-bind`))!.HostConfig.Binds, [`${join(root, 'ok')}:/ok:ro`]);
});

test('pull with registry auth works; a wrong password is a clear PullFailed, nothing created', async () => {
  const registry = bed('BERTH_TEST_REGISTRY');
  const config = mkdtempSync(join(tmpdir(), `${prefix}-docker-config-`));
  tempDirs.push(config);
  const env = { DOCKER_CONFIG: config };
  await dockerOk(['login', '--username', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin', registry], { env, input: bed('BERTH_TEST_REGISTRY_PASSWORD') });
  const ref = uniqueImage(registry);
  await dockerOk(['tag', bed('BERTH_TEST_IMAGE_2'), ref]);
  await dockerOk(['push', ref], { env });
  pushed.push(ref);
  await dockerOk(['rmi', ref]);
  assert.is.not((await docker(['image', 'inspect', ref])).code, 0, 'the image is gone locally before the apply');

  const auth = { serveraddress: registry, username: bed('BERTH_TEST_REGISTRY_USER'), password: bed('BERTH_TEST_REGISTRY_PASSWORD') };
  const pulled = await runtime.apply(spec('pulled', { image: ref, imagePullPolicy: 'Always' }), { ...ctx, pullAuth: auth });
  assert.is(pulled.state, 'running');
  assert.is(await dockerOk(['exec', `${prefix}-pulled`, 'cat', '/berth-image-version']), '2');

  // The dockerconfigjson form ({auth: base64(user:pass)}) works the same.
  const encoded = { serveraddress: registry, auth: Buffer.from(`${auth.username}:${auth.password}`).toString('base64') };
  await runtime.apply(spec('pulled2', { image: ref, imagePullPolicy: 'Always' }), { ...ctx, pullAuth: encoded });

  const started = Date.now();
  const wrong = await rejection(runtime.apply(spec('wrongpw', { image: ref, imagePullPolicy: 'Always' }), { ...ctx, pullAuth: { ...auth, password: `${auth.password}-wrong` } }));
  assert.is(wrong.code, 'PullFailed');
  assert.match(wrong.message, new RegExp(`pulling image "${ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" .*failed: .*(unauthorized|authentication required|401)`, 'i'));
  assert.not.ok(wrong.message.includes(`${auth.password}-wrong`), 'the password is not in the message');
  assert.ok(Date.now() - started < 30_000, 'refused promptly, no hang');
  const anonymous = await rejection(runtime.apply(spec('anon', { image: ref, imagePullPolicy: 'Always' }), ctx));
  assert.is(anonymous.code, 'PullFailed');
  assert.is(await inspect(`${prefix}-wrongpw`), undefined);
  assert.is(await inspect(`${prefix}-anon`), undefined);

  // IfNotPresent with the image here needs no registry (wrong credentials do not matter).
  await runtime.apply(spec('present', { image: ref, imagePullPolicy: 'IfNotPresent' }), { ...ctx, pullAuth: { ...auth, password: 'x' } });
  // Never with a missing image fails clearly.
  const never = await rejection(runtime.apply(spec('never', { image: `${registry}/berth-test-${randomToken()}/img:1`, imagePullPolicy: 'Never' }), ctx));
  assert.is(never.code, 'ImageNotPresent');
  assert.match(never.message, /not present on this host and imagePullPolicy is Never/);
});

// The pushed image's manifest. Docker 20.10 pushes a Docker v2 manifest; an engine with the containerd
// image store (moby v2, BERTH_TEST_ENGINE=moby) pushes an OCI index whose first platform entry is it.
async function imageManifest(registry: string, repo: string, ref: string, authorization: string): Promise<{ layers: Array<{ digest: string }> }> {
  const accept = ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json',
    'application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json'].join(', ');
  const body = await (await fetch(`http://${registry}/v2/${repo}/manifests/${ref}`, { headers: { authorization, accept } })).json() as
    { layers?: Array<{ digest: string }>; manifests?: Array<{ digest: string; platform?: { os?: string } }> };
  if (body.layers) return { layers: body.layers };
  // Attestation manifests are listed with platform os "unknown": skip them.
  const image = body.manifests?.find((m) => m.platform?.os !== 'unknown');
  if (!image) throw new Error(`manifest of ${repo}:${ref} has neither layers nor an image entry: ${JSON.stringify(body)}`);
  return imageManifest(registry, repo, image.digest, authorization);
}

test('an error reported inside the pull\'s progress stream (HTTP 200) fails the apply', async () => {
  // A layer the registry lost: the engine answers 200, starts the download, then reports
  // {"errorDetail":{"message":"unknown blob"}} in the stream — the promise itself resolves.
  const registry = bed('BERTH_TEST_REGISTRY');
  const config = mkdtempSync(join(tmpdir(), `${prefix}-docker-config-`));
  tempDirs.push(config);
  const env = { DOCKER_CONFIG: config };
  const user = bed('BERTH_TEST_REGISTRY_USER');
  const password = bed('BERTH_TEST_REGISTRY_PASSWORD');
  await dockerOk(['login', '--username', user, '--password-stdin', registry], { env, input: password });
  const maker = `${prefix}-maker`;
  await dockerOk(['run', '--name', maker, bed('BERTH_TEST_IMAGE'), 'sh', '-c', `echo ${randomToken(32)} > /unique`]);
  const ref = uniqueImage(registry);
  await dockerOk(['commit', maker, ref]);
  await dockerOk(['push', ref], { env });
  pushed.push(ref);
  const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const [repo, tag] = ref.slice(registry.length + 1).split(':');
  const manifest = await imageManifest(registry, repo!, tag!, basic);
  const del = await fetch(`http://${registry}/v2/${repo}/blobs/${manifest.layers.at(-1)!.digest}`, { method: 'DELETE', headers: { authorization: basic } });
  assert.is(del.status, 202);
  await dockerOk(['rmi', ref]);

  const err = await rejection(runtime.apply(spec('lostblob', { image: ref, imagePullPolicy: 'IfNotPresent' }), { ...ctx, pullAuth: { serveraddress: registry, username: user, password } }));
  assert.is(err.code, 'PullFailed');
  // The engine's own words: Docker 20.10 "unknown blob"; containerd's image store (moby v2) "… from remote: not found".
  assert.match(err.message, /failed: (unknown blob|.*from remote: not found)/, `the pull error names the engine's reason: ${err.message}`);
  assert.is(await inspect(`${prefix}-lostblob`), undefined);
});

test('a failed pull leaves the running container alone', async () => {
  const before = await runtime.apply(spec('keep'), ctx);
  const err = await rejection(runtime.apply(spec('keep', { image: `${bed('BERTH_TEST_REGISTRY')}/berth-test-${randomToken()}/missing:1`, specHash: 'h2' }), ctx));
  assert.is(err.code, 'PullFailed');
  const info = (await inspect(`${prefix}-keep`))!;
  assert.is(info.Id, before.containerID);
  assert.is(info.State.Running, true);
});

test('restartPolicy Never: a completed container is not restarted; Always: a stopped one is', async () => {
  const job = spec('job', { command: ['sh', '-c', 'exit 0'], restartPolicy: 'Never' });
  const first = await runtime.apply(job, ctx);
  const done = await eventually(async () => {
    const i = (await inspect(`${prefix}-job`))!;
    if (i.State.Status !== 'exited') throw new Error(i.State.Status);
    return i;
  });
  const again = await runtime.apply(job, ctx);
  assert.is(again.containerID, first.containerID);
  assert.is(again.state, 'exited');
  assert.is(again.exitCode, 0);
  assert.is((await inspect(`${prefix}-job`))!.State.StartedAt, done.State.StartedAt, 'not started again');

  const svc = spec('svc', { restartPolicy: 'Always' });
  const s1 = await runtime.apply(svc, ctx);
  await dockerOk(['stop', '-t', '1', `${prefix}-svc`]);
  const s2 = await runtime.apply(svc, ctx);
  assert.is(s2.containerID, s1.containerID);
  assert.is(s2.state, 'running');
});

test('an out-of-band docker stop reaches the events callback', async () => {
  const target = await runtime.apply(spec('watched'), ctx);
  let changes = 0;
  const watch = runtime.watch(() => { changes++; });
  try {
    await eventually(async () => { if (changes < 1) throw new Error('not subscribed yet'); }, 10_000, 20);
    const seen = changes;
    await dockerOk(['stop', '-t', '1', target.containerID]);
    await eventually(async () => { if (changes <= seen) throw new Error('no change reported'); }, 10_000, 20);
  } finally {
    watch.close();
  }
});

test.run();
