import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec } from '../protocol/container.js';
import { namedVolumes, toAuthConfig, toCreateOptions } from './docker-options.js';

const base: ContainerSpec = {
  name: 'web', image: 'nginx:1.27', imagePullPolicy: 'IfNotPresent', state: 'Running',
  env: [], ports: [], volumes: [], restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false,
  stopTimeoutSeconds: 10, logging: { maxSizeBytes: 10 * 1024 * 1024, maxFiles: 3 }, specHash: 'h1',
};
const id = { hostKey: 'games/box-1', hostUid: 'uid-1' };

test('labels, image, name, env, stop timeout, log config', () => {
  const o = toCreateOptions({ ...base, env: [{ name: 'MODE', value: 'prod' }, { name: 'EQ', value: 'a=b' }] }, id);
  assert.is(o.name, 'web');
  assert.is(o.Image, 'nginx:1.27');
  assert.equal(o.Labels, {
    'berth.dev/managed': 'true', 'berth.dev/host': 'games/box-1', 'berth.dev/host-uid': 'uid-1',
    'berth.dev/name': 'web', 'berth.dev/spec-hash': 'h1',
  });
  assert.equal(o.Env, ['MODE=prod', 'EQ=a=b']);
  assert.is(o.StopTimeout, 10);
  assert.equal(o.HostConfig?.LogConfig, { Type: 'json-file', Config: { 'max-size': '10485760', 'max-file': '3' } });
  assert.is(o.HostConfig?.Privileged, false);
  assert.is(o.HostConfig?.NetworkMode, 'bridge');
  assert.not.ok('Healthcheck' in o);
  assert.not.ok('Entrypoint' in o, 'no command: the image ENTRYPOINT stays');
  assert.not.ok('Cmd' in o, 'no args: the image CMD stays');
  assert.not.ok('NanoCpus' in o.HostConfig!);
});

test('command → Entrypoint, args → Cmd', () => {
  const o = toCreateOptions({ ...base, command: ['nginx'], args: ['-g', 'daemon off;'] }, id);
  assert.equal(o.Entrypoint, ['nginx']);
  assert.equal(o.Cmd, ['-g', 'daemon off;']);
  const onlyArgs = toCreateOptions({ ...base, args: ['x'] }, id);
  assert.not.ok('Entrypoint' in onlyArgs);
  assert.equal(onlyArgs.Cmd, ['x']);
});

test('ports: exposed, published on all addresses only with hostPort, protocol lower-cased', () => {
  const o = toCreateOptions({ ...base, ports: [
    { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
    { containerPort: 53, hostPort: 5353, protocol: 'UDP' },
    { containerPort: 9000, protocol: 'TCP' },
  ] }, id);
  assert.equal(o.ExposedPorts, { '80/tcp': {}, '53/udp': {}, '9000/tcp': {} });
  assert.equal(o.HostConfig?.PortBindings, { '80/tcp': [{ HostIp: '', HostPort: '8080' }], '53/udp': [{ HostIp: '', HostPort: '5353' }] });
});

test('volumes: hostPath → Binds (ro), named → Mounts; a colon in a path goes through Mounts', () => {
  const spec: ContainerSpec = { ...base, volumes: [
    { hostPath: '/srv/web', mountPath: '/usr/share/nginx/html', readOnly: true },
    { hostPath: '/srv/data', mountPath: '/data', readOnly: false },
    { volume: 'web-cache', mountPath: '/var/cache/nginx', readOnly: false },
    { volume: 'web-cache', mountPath: '/again', readOnly: true },
    { hostPath: '/srv/a:b', mountPath: '/ab', readOnly: false },
  ] };
  const o = toCreateOptions(spec, id);
  assert.equal(o.HostConfig?.Binds, ['/srv/web:/usr/share/nginx/html:ro', '/srv/data:/data']);
  assert.equal(o.HostConfig?.Mounts, [
    { Type: 'volume', Source: 'web-cache', Target: '/var/cache/nginx', ReadOnly: false },
    { Type: 'volume', Source: 'web-cache', Target: '/again', ReadOnly: true },
    { Type: 'bind', Source: '/srv/a:b', Target: '/ab', ReadOnly: false },
  ]);
  assert.equal(namedVolumes(spec), ['web-cache']);
});

test('restart policies', () => {
  const names = (['Always', 'UnlessStopped', 'OnFailure', 'Never'] as const).map((p) => toCreateOptions({ ...base, restartPolicy: p }, id).HostConfig?.RestartPolicy?.Name);
  assert.equal(names, ['always', 'unless-stopped', 'on-failure', 'no']);
});

test('healthcheck in nanoseconds, resources, network, privileged', () => {
  const o = toCreateOptions({
    ...base, network: 'host', privileged: true,
    healthcheck: { exec: ['wget', '-qO-', 'localhost'], intervalSeconds: 10, timeoutSeconds: 3, retries: 3, startPeriodSeconds: 5 },
    resources: { nanoCpus: 500_000_000, memoryBytes: 256 * 1024 * 1024 },
  }, id);
  assert.equal(o.Healthcheck, { Test: ['CMD', 'wget', '-qO-', 'localhost'], Interval: 10e9, Timeout: 3e9, StartPeriod: 5e9, Retries: 3 });
  assert.is(o.HostConfig?.NanoCpus, 500_000_000);
  assert.is(o.HostConfig?.Memory, 268435456);
  assert.is(o.HostConfig?.NetworkMode, 'host');
  assert.is(o.HostConfig?.Privileged, true);
});

test('pull auth: username/password pass through; a dockerconfigjson `auth` is decoded', () => {
  assert.equal(toAuthConfig({ serveraddress: 'r:5000', username: 'u', password: 'p' }), { serveraddress: 'r:5000', username: 'u', password: 'p' });
  assert.equal(toAuthConfig({ serveraddress: 'r:5000', auth: Buffer.from('berth:s3:cret').toString('base64') }), { serveraddress: 'r:5000', username: 'berth', password: 's3:cret' });
  assert.equal(toAuthConfig({ serveraddress: 'r', identitytoken: 'tok' }), { serveraddress: 'r', identitytoken: 'tok' });
});

test.run();
