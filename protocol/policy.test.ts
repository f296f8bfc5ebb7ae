import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec, HostPolicy } from './container.js';
import { policyViolations, underAllowedRoot, wirePolicy } from './policy.js';

const spec: ContainerSpec = {
  name: 'web', image: 'i', imagePullPolicy: 'IfNotPresent', state: 'Running', env: [], ports: [], volumes: [],
  restartPolicy: 'Always', network: 'bridge', privileged: false, stopTimeoutSeconds: 10,
  logging: { maxSizeBytes: 1, maxFiles: 1 }, specHash: 'h',
};
const strict: HostPolicy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: ['/srv'] };

test('underAllowedRoot is a prefix check on whole segments', () => {
  assert.ok(underAllowedRoot('/srv', ['/srv']));
  assert.ok(underAllowedRoot('/srv/web', ['/srv']));
  assert.not.ok(underAllowedRoot('/srv2', ['/srv']));
  assert.ok(underAllowedRoot('/etc', ['/']));
  assert.not.ok(underAllowedRoot('/etc', []));
});

test('an allowed spec has no violations', () => {
  assert.equal(policyViolations({ ...spec, volumes: [{ hostPath: '/srv/web', mountPath: '/w', readOnly: true }, { volume: 'v', mountPath: '/v', readOnly: false }] }, strict), []);
  assert.equal(policyViolations({ ...spec, privileged: true, network: 'host' }, { ...strict, allowPrivileged: true, allowHostNetwork: true }), []);
});

test('privileged, host network, paths outside the roots, non-normalized paths, container: networks', () => {
  assert.match(policyViolations({ ...spec, privileged: true }, strict).join(), /allowPrivileged/);
  assert.match(policyViolations({ ...spec, network: 'host' }, strict).join(), /allowHostNetwork/);
  assert.match(policyViolations({ ...spec, volumes: [{ hostPath: '/etc', mountPath: '/e', readOnly: true }] }, strict).join(), /"\/etc" is not under an allowed host path \(allowed: \/srv\)/);
  assert.match(policyViolations({ ...spec, volumes: [{ hostPath: '/srv/../etc', mountPath: '/e', readOnly: true }] }, strict).join(), /not an absolute, normalized path/);
  assert.match(policyViolations({ ...spec, volumes: [{ hostPath: '/srv/x', mountPath: '/e', readOnly: true }] }, { ...strict, allowedHostPaths: [] }).join(), /allowed: none/);
  assert.match(policyViolations({ ...spec, network: 'container:abc' }, strict).join(), /network "container:abc"/);
  assert.is(policyViolations({ ...spec, privileged: true, network: 'host' }, strict).length, 2);
});

test('gated run options: refused without the policy, allowed by exact names, prefixes and ALL', () => {
  const gated = { ...spec, capAdd: ['CAP_NET_ADMIN'], devices: [{ hostPath: '/dev/dri/card0' }], sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }], deviceRequests: [{ count: 1 }] };
  const refused = policyViolations(gated, strict).join('\n');
  for (const field of ['allowCapabilities', 'allowDevices', 'allowSysctls', 'allowGPUs']) assert.match(refused, field);
  assert.equal(policyViolations(gated, { ...strict, allowCapabilities: ['ALL'], allowDevices: ['/dev/dri/*'], allowSysctls: ['net.ipv4.*'], allowGPUs: true }), []);
  assert.equal(policyViolations(gated, { ...strict, allowCapabilities: ['CAP_NET_ADMIN'], allowDevices: ['/dev/dri/card0'], allowSysctls: ['*'], allowGPUs: true }), []);
  assert.is(policyViolations({ ...spec, sysctls: [{ name: 'kernel.msgmax', value: '1' }] }, { ...strict, allowSysctls: ['net.*'] }).length, 1);
  assert.is(policyViolations({ ...spec, capDrop: ['ALL'] }, strict).length, 0, 'capDrop only narrows: never gated');
  assert.match(policyViolations({ ...spec, networks: [{ name: 'host' }] }, strict).join(), /networks entry "host"/);
  const file = (path: string) => ({ ...spec, volumes: [{ mountPath: '/c', readOnly: true, files: [{ path, mode: 0o644, contentBase64: '' }] }] });
  for (const bad of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'a//b', './a']) assert.match(policyViolations(file(bad), strict).join(), 'not a relative path', bad);
  for (const good of ['a', 'conf/app.yaml', '.hidden', 'a/.b/c']) assert.equal(policyViolations(file(good), strict), [], good);
});

test('wirePolicy: the gated fields cross the wire only when they allow something', () => {
  assert.equal(wirePolicy({ ...strict, allowCapabilities: [], allowGPUs: false }), strict);
  assert.equal(wirePolicy({ ...strict, allowSysctls: ['net.*'] }), { ...strict, allowSysctls: ['net.*'] });
});

test.run();
