// Issue 14 on the agent's Docker runtime against the bed's real dockerd: managed networks (created
// with Berth's labels, DNS and aliases between containers, removed once they left the spec and are
// unused, an unmanaged network never touched), files volumes (content, read-only, updated with a
// new spec hash, old volume gone), every run option as `docker inspect` shows it, and every gated
// option refused without the host policy. Names are berth-t-agent-<random>...; all removed after.
import Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until as wait } from '../support/wait.js';
import type { ContainerSpec, HostPolicy, NetworkSpec } from '../../protocol/container.js';
import { DockerRuntime } from '../../agent/docker-runtime.js';
import { RuntimeError } from '../../agent/runtime.js';
import { docker, randomToken } from '../support/docker.js';
import { bed } from '../support/testbed.js';
import { removeLeftoversOnExit } from './leftovers.js';

process.env.DOCKER_HOST = bed('DOCKER_HOST');
const prefix = `berth-t-agent-${randomToken()}`;
removeLeftoversOnExit(prefix);
const hostKey = `berth-test/${prefix}`;
const runtime = new DockerRuntime({ hostKey, docker: new Docker(), pullTimeoutMs: 60_000, eventDebounceMs: 50 });
const policy: HostPolicy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] };
const net = `${prefix}-net`;
const unmanaged = `${prefix}-theirs`;
const declared: NetworkSpec[] = [{ name: net, driver: 'bridge', labels: { team: 'web' } }];
const ctx = { policy, hostUid: 'uid-1', networks: declared };
const b64 = (s: string) => Buffer.from(s).toString('base64');

const spec = (name: string, over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: `${prefix}-${name}`, image: bed('BERTH_TEST_IMAGE'), imagePullPolicy: 'IfNotPresent', state: 'Running',
  command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
  env: [], ports: [], volumes: [], restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false,
  stopTimeoutSeconds: 1, logging: { maxSizeBytes: 1024 * 1024, maxFiles: 2 }, specHash: 'h1', ...over,
});
const server = (content: string, hash: string) => spec('server', {
  command: ['httpd', '-f', '-p', '8080', '-h', '/www'], specHash: hash,
  networks: [{ name: net, aliases: ['files-server'] }],
  volumes: [{ mountPath: '/www', readOnly: true, files: [{ path: 'index.html', mode: 0o644, contentBase64: b64(content) }, { path: 'conf/deep.txt', mode: 0o600, contentBase64: b64('deep') }] }],
});

async function inspectJson<T>(kind: string, name: string): Promise<T | undefined> {
  const r = await docker([kind, 'inspect', name]);
  return r.code === 0 ? (JSON.parse(r.stdout) as T[])[0] : undefined;
}
const exec = (name: string, cmd: string[]) => docker(['exec', `${prefix}-${name}`, ...cmd]);
/** The shared wait (test/support/wait.ts) with this file's 20 s default. */
const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000) => wait(what, probe, ms, 250);

test.before(async () => { await docker(['network', 'create', unmanaged]); });
test.after(async () => {
  const ids = (await docker(['ps', '-aq', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
  const vols = (await docker(['volume', 'ls', '-q', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (vols.length) await docker(['volume', 'rm', '-f', ...vols]);
  const nets = (await docker(['network', 'ls', '-q', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (nets.length) await docker(['network', 'rm', ...nets]);
});

test('a declared network is created with Berth labels; containers resolve each other by name and alias over it; files are delivered read-only', async () => {
  await runtime.apply(server('hello from files', 'h1'), ctx);
  await runtime.apply(spec('client', { networks: [{ name: net }, { name: unmanaged }] }), ctx);
  const n = await inspectJson<{ Labels: Record<string, string>; Driver: string }>('network', net);
  assert.ok(n, 'the managed network exists');
  assert.equal(n!.Labels, { team: 'web', 'berth.dev/managed': 'true', 'berth.dev/host': hostKey });
  const page = await until('the client fetching over the network', async () => {
    const r = await exec('client', ['wget', '-qO-', 'http://files-server:8080/index.html']);
    return r.code === 0 ? r.stdout : undefined;
  });
  assert.is(page, 'hello from files');
  const byName = await exec('client', ['wget', '-qO-', `http://${prefix}-server:8080/index.html`]);
  assert.is(byName.stdout, 'hello from files', 'the container name resolves too');
  assert.is((await exec('server', ['cat', '/www/conf/deep.txt'])).stdout, 'deep');
  assert.is((await exec('server', ['stat', '-c', '%a', '/www/conf/deep.txt'])).stdout.trim(), '600');
  const write = await exec('server', ['sh', '-c', 'echo x > /www/index.html']);
  assert.is.not(write.code, 0, 'the files are read-only, even for root');
  const client = await inspectJson<{ NetworkSettings: { Networks: Record<string, unknown> } }>('container', `${prefix}-client`);
  assert.equal(Object.keys(client!.NetworkSettings.Networks).sort(), [net, unmanaged].sort(), 'joined both networks');
});

test('new file content (a new spec hash) recreates with the new files and removes the old volume', async () => {
  const before = (await docker(['volume', 'ls', '-q', '--filter', `label=berth.dev/files=${prefix}-server`])).stdout.trim().split('\n');
  assert.is(before.length, 1);
  await runtime.apply(server('updated content', 'h2'), ctx);
  const page = await until('the new content', async () => {
    const r = await exec('client', ['wget', '-qO-', 'http://files-server:8080/index.html']);
    return r.code === 0 && r.stdout === 'updated content' ? r.stdout : undefined;
  });
  assert.is(page, 'updated content');
  const after = (await docker(['volume', 'ls', '-q', '--filter', `label=berth.dev/files=${prefix}-server`])).stdout.trim().split('\n');
  assert.is(after.length, 1);
  assert.is.not(after[0], before[0], 'the old files volume is gone');
});

test('a managed network stays while in use or declared, goes once it left the spec and is unused; an unmanaged one is never removed', async () => {
  await runtime.remove(`${prefix}-server`, []);   // the spec no longer declares it, but the client still uses it
  assert.ok(await inspectJson('network', net), 'still in use by the client: kept');
  await runtime.remove(`${prefix}-client`, declared);
  assert.ok(await inspectJson('network', net), 'unused but still declared: kept');
  await runtime.remove(`${prefix}-client`, []);
  assert.is(await inspectJson('network', net), undefined, 'unused and no longer declared: removed');
  assert.ok(await inspectJson('network', unmanaged), 'the unmanaged network is left alone');
  assert.is((await docker(['volume', 'ls', '-q', '--filter', `label=berth.dev/files=${prefix}-server`])).stdout.trim(), '', 'files volumes go with their container');
});

test('every run option is on the real container', async () => {
  await runtime.apply(spec('opts', {
    user: '1000:1000', workingDir: '/tmp', hostname: 'opts-host', labels: { 'com.example/team': 'web' },
    extraHosts: [{ hostname: 'db.local', ip: '10.0.0.5' }], dns: ['10.0.0.53'],
    tmpfs: [{ mountPath: '/scratch', sizeBytes: 8 * 2 ** 20, mode: 0o1777 }], shmSizeBytes: 128 * 2 ** 20, init: true,
    readOnlyRootFilesystem: true, ulimits: [{ name: 'nofile', soft: 1024, hard: 2048 }], stopSignal: 'SIGQUIT', capDrop: ['CAP_NET_RAW'],
  }), ctx);
  type Info = { Config: { User: string; WorkingDir: string; Hostname: string; Labels: Record<string, string>; StopSignal: string };
    HostConfig: { ExtraHosts: string[]; Dns: string[]; Tmpfs: Record<string, string>; ShmSize: number; Init: boolean; ReadonlyRootfs: boolean;
      Ulimits: Array<{ Name: string; Soft: number; Hard: number }>; CapDrop: string[] } };
  const i = (await inspectJson<Info>('container', `${prefix}-opts`))!;
  assert.is(i.Config.User, '1000:1000');
  assert.is(i.Config.WorkingDir, '/tmp');
  assert.is(i.Config.Hostname, 'opts-host');
  assert.is(i.Config.Labels['com.example/team'], 'web');
  assert.is(i.Config.Labels['berth.dev/managed'], 'true');
  assert.is(i.Config.StopSignal, 'SIGQUIT');
  assert.equal(i.HostConfig.ExtraHosts, ['db.local:10.0.0.5']);
  assert.equal(i.HostConfig.Dns, ['10.0.0.53']);
  assert.equal(i.HostConfig.Tmpfs, { '/scratch': 'size=8388608,mode=1777' });
  assert.is(i.HostConfig.ShmSize, 128 * 2 ** 20);
  assert.is(i.HostConfig.Init, true);
  assert.is(i.HostConfig.ReadonlyRootfs, true);
  assert.equal(i.HostConfig.Ulimits, [{ Name: 'nofile', Soft: 1024, Hard: 2048 }]);
  assert.equal(i.HostConfig.CapDrop, ['CAP_NET_RAW']);
  // The limits of the container's own process (pid 1), not of an exec'd shell: runc < 1.1.13 built
  // with Go >= 1.19 (the bed's Debian runc 1.1.5, go1.19.8) sets an exec'd process's limits with
  // prlimit(2) while that process's Go runtime raises its soft NOFILE to the hard limit, so
  // `docker exec ... ulimit -n` reads 2048 now and then (9 in 150 execs here; runc#4195, fixed by
  // runc#4265). The container's init gets its limits before it runs anything: no race there.
  const files = /^Max open files\s+(\d+)\s+(\d+)/m.exec((await exec('opts', ['cat', '/proc/1/limits'])).stdout);
  assert.equal(files?.slice(1), ['1024', '2048'], 'soft and hard nofile of the container\'s process');
  assert.is((await exec('opts', ['id', '-u'])).stdout.trim(), '1000');
  assert.is.not((await exec('opts', ['touch', '/rootfs-file'])).code, 0, 'the root filesystem is read-only');
});

test('the gated options run when the policy allows them (capAdd, sysctls, devices)', async () => {
  const allowing: HostPolicy = { ...policy, allowCapabilities: ['CAP_NET_ADMIN'], allowSysctls: ['net.ipv4.*'], allowDevices: ['/dev/null'] };
  await runtime.apply(spec('gated', {
    capAdd: ['CAP_NET_ADMIN'], sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }],
    devices: [{ hostPath: '/dev/null', containerPath: '/dev/berth-null', permissions: 'rw' }],
  }), { ...ctx, policy: allowing });
  type Info = { HostConfig: { CapAdd: string[]; Sysctls: Record<string, string>; Devices: Array<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> } };
  const i = (await inspectJson<Info>('container', `${prefix}-gated`))!;
  assert.equal(i.HostConfig.CapAdd, ['CAP_NET_ADMIN']);
  assert.equal(i.HostConfig.Sysctls, { 'net.ipv4.ip_unprivileged_port_start': '80' });
  assert.equal(i.HostConfig.Devices, [{ PathOnHost: '/dev/null', PathInContainer: '/dev/berth-null', CgroupPermissions: 'rw' }]);
  assert.is((await exec('gated', ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'])).stdout.trim(), '80');
});

const refusals: Array<[string, Partial<ContainerSpec>, string]> = [
  ['capAdd', { capAdd: ['CAP_NET_ADMIN'] }, 'allowCapabilities'],
  ['devices', { devices: [{ hostPath: '/dev/null' }] }, 'allowDevices'],
  ['sysctls', { sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] }, 'allowSysctls'],
  ['deviceRequests', { deviceRequests: [{ count: -1, capabilities: ['gpu'] }] }, 'allowGPUs'],
];
for (const [field, over, policyField] of refusals) {
  test(`${field} without the host policy is refused by the agent before anything is created`, async () => {
    const name = `refused-${field.toLowerCase()}`;
    let err: unknown;
    try { await runtime.apply(spec(name, over), ctx); } catch (e) { err = e; }
    assert.instance(err, RuntimeError);
    assert.is((err as RuntimeError).code, 'PolicyViolation');
    assert.match((err as RuntimeError).message, policyField);
    assert.is(await inspectJson('container', `${prefix}-${name}`), undefined, 'nothing was created');
  });
}

test.run();
