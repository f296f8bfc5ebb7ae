import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec } from '../protocol/container.js';
import { buildCeiling, ceilingArgs, CeilingError, CEILING_OPTIONS } from './ceiling-config.js';
import { parseCeilingFile } from './ceiling-file.js';
import { ceilingViolations, DENY_ALL } from './ceiling.js';
import { parseArgs } from 'node:util';

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: 'web', image: 'i', imagePullPolicy: 'IfNotPresent', state: 'Running', env: [], ports: [], volumes: [],
  restartPolicy: 'Always', network: 'bridge', privileged: false, stopTimeoutSeconds: 10,
  logging: { maxSizeBytes: 1, maxFiles: 1 }, specHash: 'h', ...over,
});

test('deny-all refuses every gated option and names the agent flag', () => {
  const v = ceilingViolations(spec({
    privileged: true, network: 'host', volumes: [{ hostPath: '/srv/x', mountPath: '/x', readOnly: true }],
    capAdd: ['NET_ADMIN'], devices: [{ hostPath: '/dev/fuse' }], sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }],
    deviceRequests: [{ count: 1 }],
  } as Partial<ContainerSpec>), DENY_ALL);
  for (const flag of ['--allow-privileged', '--allow-host-network', '--allowed-host-paths', '--allow-capabilities', '--allow-devices', '--allow-sysctls', '--allow-gpus']) {
    assert.ok(v.some((m) => m.includes(flag)), `${flag} in ${v.join(' | ')}`);
  }
  assert.is(v.length, 7);
});

test('an ordinary container fits deny-all (what the shipped examples need)', () => {
  assert.equal(ceilingViolations(spec({ volumes: [{ volume: 'data', mountPath: '/d', readOnly: false }], ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] }), DENY_ALL), []);
});

test('a ceiling that allows lets it through; host paths by whole segments', () => {
  const c = buildCeiling({ 'allow-privileged': true, 'allowed-host-paths': ['/srv,/var/log'] }, {});
  assert.equal(ceilingViolations(spec({ privileged: true, volumes: [{ hostPath: '/srv/a', mountPath: '/a', readOnly: true }] }), c), []);
  assert.is(ceilingViolations(spec({ volumes: [{ hostPath: '/srv2', mountPath: '/a', readOnly: true }] }), c).length, 1);
});

test('flags, environment and file add up; bad input names its source', () => {
  const file = parseCeilingFile('allowHostNetwork: true\nallowCapabilities: [NET_ADMIN]\n', 'p.yaml');
  const c = buildCeiling({ 'allowed-host-paths': ['/srv'] }, { BERTH_ALLOWED_HOST_PATHS: '/opt, /srv', BERTH_ALLOW_GPUS: 'true' }, file);
  assert.equal(c, { allowPrivileged: false, allowHostNetwork: true, allowedHostPaths: ['/srv', '/opt'], allowCapabilities: ['NET_ADMIN'], allowGPUs: true });
  assert.throws(() => buildCeiling({ 'allowed-host-paths': ['srv'] }, {}), (e: Error) => e instanceof CeilingError && /not an absolute, normalized path/.test(e.message));
  assert.throws(() => buildCeiling({ 'allowed-host-paths': ['/srv/../etc'] }, {}), /normalized/);
  assert.throws(() => buildCeiling({}, { BERTH_ALLOW_PRIVILEGED: 'yes' }), /BERTH_ALLOW_PRIVILEGED must be "true" or "false"/);
  assert.throws(() => parseCeilingFile('allowPrivileged: "true"', 'p.yaml'), /p.yaml: allowPrivileged must be true or false/);
  assert.throws(() => parseCeilingFile('allowEverything: true', 'p.yaml'), /unknown field "allowEverything"/);
  assert.throws(() => parseCeilingFile('- a', 'p.yaml'), /must be a mapping/);
  assert.equal(buildCeiling({}, {}, parseCeilingFile('', 'empty.yaml')), DENY_ALL);
});

test('ceilingArgs round-trips through the flag table', () => {
  const c = buildCeiling({ 'allow-privileged': true, 'allow-host-network': true, 'allow-gpus': true, 'allowed-host-paths': ['/a', '/b'], 'allow-capabilities': ['ALL'], 'allow-devices': ['/dev/fuse'], 'allow-sysctls': ['net.*'] }, {});
  const { values } = parseArgs({ args: ceilingArgs(c), options: CEILING_OPTIONS });
  assert.equal(buildCeiling(values, {}), c);
  assert.equal(ceilingArgs(DENY_ALL), []);
});

test.run();
