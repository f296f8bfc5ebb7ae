import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec } from '../protocol/container.js';
import { toCreateOptions } from './docker-options.js';
import { networkCreateOptions } from './docker-networks.js';
import { filesVolumeName } from './docker-files.js';
import { tarArchive } from './tar.js';

const base: ContainerSpec = {
  name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', state: 'Running',
  env: [], ports: [], volumes: [], restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false,
  stopTimeoutSeconds: 10, logging: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 3 }, specHash: 'abcdef0123456789',
};
const id = { hostKey: 'games/box-1', hostUid: 'uid-1' };

test('a spec without the new fields creates exactly the options it always did (no new keys)', () => {
  const o = toCreateOptions(base, id);
  assert.equal(Object.keys(o).sort(), ['Env', 'ExposedPorts', 'HostConfig', 'Image', 'Labels', 'StopTimeout', 'name']);
  assert.equal(Object.keys(o.HostConfig!).sort(), ['Binds', 'LogConfig', 'Mounts', 'NetworkMode', 'PortBindings', 'Privileged', 'RestartPolicy']);
});

test('every run option maps onto the engine field docker run uses', () => {
  const o = toCreateOptions({
    ...base, user: '1000:1000', workingDir: '/app', hostname: 'h1', stopSignal: 'SIGQUIT', labels: { team: 'web', 'berth.dev/name': 'spoof' },
    extraHosts: [{ hostname: 'db', ip: '10.0.0.5' }], dns: ['1.1.1.1'], tmpfs: [{ mountPath: '/tmp', sizeBytes: 1024, mode: 0o1777 }, { mountPath: '/run' }],
    shmSizeBytes: 2048, init: true, readOnlyRootFilesystem: true, ulimits: [{ name: 'nofile', soft: 1, hard: 2 }],
    capAdd: ['CAP_NET_ADMIN'], capDrop: ['ALL'], devices: [{ hostPath: '/dev/fuse' }], sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }],
    deviceRequests: [{ capabilities: ['gpu'] }, { driver: 'nvidia', deviceIDs: ['0', '1'] }],
  }, id);
  assert.is(o.User, '1000:1000');
  assert.is(o.WorkingDir, '/app');
  assert.is(o.Hostname, 'h1');
  assert.is(o.StopSignal, 'SIGQUIT');
  assert.is(o.Labels!.team, 'web');
  assert.is(o.Labels!['berth.dev/name'], 'web', "Berth's labels always win");
  const h = o.HostConfig!;
  assert.equal(h.ExtraHosts, ['db:10.0.0.5']);
  assert.equal(h.Dns, ['1.1.1.1']);
  assert.equal(h.Tmpfs, { '/tmp': 'size=1024,mode=1777', '/run': '' });
  assert.is(h.ShmSize, 2048);
  assert.is(h.Init, true);
  assert.is(h.ReadonlyRootfs, true);
  assert.equal(h.Ulimits, [{ Name: 'nofile', Soft: 1, Hard: 2 }]);
  assert.equal(h.CapAdd, ['CAP_NET_ADMIN']);
  assert.equal(h.CapDrop, ['ALL']);
  assert.equal(h.Devices, [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }]);
  assert.equal(h.Sysctls, { 'net.ipv4.ip_forward': '1' });
  assert.equal(h.DeviceRequests, [
    { Driver: '', Count: -1, DeviceIDs: [], Capabilities: [['gpu']], Options: {} },
    { Driver: 'nvidia', Count: 0, DeviceIDs: ['0', '1'], Capabilities: [['gpu']], Options: {} },
  ]);
});

test('networks: the first is the primary network with its aliases; files volumes mount read-only', () => {
  const o = toCreateOptions({
    ...base, networks: [{ name: 'app', aliases: ['api'] }, { name: 'other' }],
    volumes: [{ mountPath: '/etc/app', readOnly: false, files: [{ path: 'a', mode: 0o644, contentBase64: '' }] }],
  }, id);
  assert.is(o.HostConfig!.NetworkMode, 'app');
  assert.equal(o.NetworkingConfig, { EndpointsConfig: { app: { Aliases: ['api'] } } });
  assert.equal(o.HostConfig!.Mounts, [{ Type: 'volume', Source: 'berth-files-web-0-abcdef012345', Target: '/etc/app', ReadOnly: true }]);
  assert.is(filesVolumeName(base, 0), 'berth-files-web-0-abcdef012345');
});

test('a declared network is created with Berth labels over the user labels', () => {
  assert.equal(networkCreateOptions({ name: 'app', driver: 'bridge', internal: true, subnet: '172.30.0.0/24', labels: { team: 'x', 'berth.dev/host': 'spoof' } }, id), {
    Name: 'app', Driver: 'bridge', CheckDuplicate: true, Labels: { team: 'x', 'berth.dev/managed': 'true', 'berth.dev/host': 'games/box-1' },
    Internal: true, IPAM: { Driver: 'default', Config: [{ Subnet: '172.30.0.0/24' }] },
  });
});

test('tar: parent directories first, ustar checksums valid, long paths use the prefix field', () => {
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/f.txt`;
  const tar = tarArchive([{ path: 'conf/app.yaml', mode: 0o600, content: Buffer.from('x: 1\n') }, { path: long, mode: 0o644, content: Buffer.alloc(0) }]);
  assert.is(tar.length % 512, 0);
  const name = (at: number) => tar.subarray(at, at + 100).toString().replace(/\0.*$/s, '');
  assert.is(name(0), 'conf/');
  assert.is(name(512), 'conf/app.yaml');
  assert.is(tar.subarray(512 + 100, 512 + 107).toString(), '0000600');
  for (const at of [0, 512]) {
    const h = Buffer.from(tar.subarray(at, at + 512));
    const stored = parseInt(h.subarray(148, 154).toString(), 8);
    h.fill(' ', 148, 156);
    assert.is(stored, h.reduce((s, b) => s + b, 0));
  }
  const dirHeader = 512 * 3;   // conf/, conf/app.yaml + its content block, then ddd…/
  assert.is(name(dirHeader), `${'d'.repeat(60)}/`);
  const eee = dirHeader + 512;
  assert.is(name(eee), `${'e'.repeat(60)}/`, 'the long directory path is split: name');
  assert.is(tar.subarray(eee + 345, eee + 345 + 60).toString(), 'd'.repeat(60), 'and prefix');
  assert.throws(() => tarArchive([{ path: 'x'.repeat(101), mode: 0o644 }]), /too long/);
});

test.run();
