import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytes, durationSeconds, parsePort, quantity, shellWords } from './units.js';

const PORTS: Array<[unknown, Array<{ containerPort: number; hostPort?: number; hostIp?: string; protocol: string }>]> = [
  [80, [{ containerPort: 80, hostPort: undefined, hostIp: undefined, protocol: 'tcp' }]],
  ['80', [{ containerPort: 80, hostPort: undefined, hostIp: undefined, protocol: 'tcp' }]],
  ['8080:80', [{ containerPort: 80, hostPort: 8080, hostIp: undefined, protocol: 'tcp' }]],
  ['53:53/udp', [{ containerPort: 53, hostPort: 53, hostIp: undefined, protocol: 'udp' }]],
  ['127.0.0.1:8080:80/udp', [{ containerPort: 80, hostPort: 8080, hostIp: '127.0.0.1', protocol: 'udp' }]],
  ['127.0.0.1::80', [{ containerPort: 80, hostPort: undefined, hostIp: '127.0.0.1', protocol: 'tcp' }]],
  ['[::1]:6001:6001', [{ containerPort: 6001, hostPort: 6001, hostIp: '::1', protocol: 'tcp' }]],
  ['9000-9001:8000-8001', [{ containerPort: 8000, hostPort: 9000, hostIp: undefined, protocol: 'tcp' }, { containerPort: 8001, hostPort: 9001, hostIp: undefined, protocol: 'tcp' }]],
  ['9090-9091:8080', [{ containerPort: 8080, hostPort: 9090, hostIp: undefined, protocol: 'tcp' }]],
  [{ target: 80, published: '8080', host_ip: '0.0.0.0', protocol: 'tcp', mode: 'host' }, [{ containerPort: 80, hostPort: 8080, hostIp: '0.0.0.0', protocol: 'tcp' }]],
  [{ target: 443 }, [{ containerPort: 443, hostPort: undefined, hostIp: undefined, protocol: 'tcp' }]],
];
for (const [input, want] of PORTS) test(`port ${JSON.stringify(input)}`, () => assert.equal(parsePort(input), want));

test('bad ports are errors naming the value', () => {
  for (const bad of ['abc', '70000', '1:2:3:4', '10-5:10-5', { published: 80 }]) assert.throws(() => parsePort(bad), /cannot read port/);
});

test('durations, sizes, quantities', () => {
  assert.is(durationSeconds('1m30s'), 90);
  assert.is(durationSeconds('500ms'), 0.5);
  assert.is(durationSeconds('1h'), 3600);
  assert.is(durationSeconds('10'), 10);
  assert.is(durationSeconds('soon'), undefined);
  assert.is(bytes('512m'), 512 * 2 ** 20);
  assert.is(bytes('1gb'), 2 ** 30);
  assert.is(bytes('64M'), 64 * 2 ** 20);
  assert.is(bytes(1024), 1024);
  assert.is(bytes('lots'), undefined);
  assert.is(quantity(512 * 2 ** 20), '512Mi');
  assert.is(quantity(2 ** 30), '1Gi');
  assert.is(quantity(1000), 1000);
});

test('command strings split like a shell, without expansion', () => {
  assert.equal(shellWords(`sh -c 'echo $HOME && sleep 1' "a \\"b\\"" c\\ d`), ['sh', '-c', 'echo $HOME && sleep 1', 'a "b"', 'c d']);
  assert.equal(shellWords('  --flag=1   two '), ['--flag=1', 'two']);
  assert.equal(shellWords(`''`), ['']);
  assert.throws(() => shellWords(`'open`), /unclosed/);
});

test.run();
