import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerSpec } from '../protocol/container.js';
import { checkHostPaths, resolveOnHost, ON_HOST } from './host-paths.js';
import { RuntimeError } from './runtime.js';

// A fake host root, as a containerized agent sees it at --host-root: absolute links inside it must be
// resolved against it, not against the agent's own "/".
const host = mkdtempSync(join(tmpdir(), 'berth-hostroot-'));
mkdirSync(join(host, 'srv/app'), { recursive: true });
mkdirSync(join(host, 'data'), { recursive: true });
symlinkSync('/etc', join(host, 'srv/escape'));             // absolute: the HOST's /etc
symlinkSync('../data', join(host, 'srv/rel'));             // relative: /data
symlinkSync('/data', join(host, 'srvlink'));               // an allowed root that is itself a link
symlinkSync('loop2', join(host, 'srv/loop1'));
symlinkSync('loop1', join(host, 'srv/loop2'));

const spec = (hostPath: string): ContainerSpec => ({
  name: 'c', image: 'i', imagePullPolicy: 'IfNotPresent', state: 'Running', env: [], ports: [],
  volumes: [{ hostPath, mountPath: '/m', readOnly: true }, { volume: 'v', mountPath: '/v', readOnly: false }],
  restartPolicy: 'Always', network: 'bridge', privileged: false, stopTimeoutSeconds: 1, logging: { maxSizeBytes: 1, maxFiles: 1 }, specHash: 'h',
});
const root = { kind: 'root' as const, root: host };
const rejection = async (p: Promise<unknown>): Promise<RuntimeError> => { try { await p; } catch (e) { return e as RuntimeError; } throw new Error('expected a rejection'); };

test('resolveOnHost follows absolute links inside the host root and keeps a missing tail', async () => {
  assert.is(await resolveOnHost('/srv/escape/passwd', host), '/etc/passwd');
  assert.is(await resolveOnHost('/srv/rel/x/y', host), '/data/x/y');
  assert.is(await resolveOnHost('/srv/app', host), '/srv/app');
  assert.is(await resolveOnHost('/nothing/here', host), '/nothing/here');
  const loop = await rejection(resolveOnHost('/srv/loop1', host));
  assert.match(loop.message, /more than 40 symlinks/);
});

test('checkHostPaths refuses a path that leads outside either root set, names which', async () => {
  const sets = [{ roots: ['/srv'], source: 'the host policy' }, { roots: ['/srv'], source: "this agent's policy ceiling" }];
  const err = await rejection(checkHostPaths(spec('/srv/escape'), sets, root));
  assert.is(err.code, 'PolicyViolation');
  assert.match(err.message, /refused by the host policy: .*"\/srv\/escape" resolves through a symlink to "\/etc"/);
  const ceilingOnly = await rejection(checkHostPaths(spec('/srv/rel'), [{ roots: ['/'], source: 'the host policy' }, sets[1]!], root));
  assert.match(ceilingOnly.message, /refused by this agent's policy ceiling/);
});

test('checkHostPaths returns the spec with the resolved path as the bind source', async () => {
  const out = await checkHostPaths(spec('/srv/rel/x'), [{ roots: ['/srv', '/data'], source: 'the host policy' }], root);
  assert.is(out.volumes[0]!.hostPath, '/data/x');
  assert.is(out.volumes[1]!.volume, 'v');
  // An allowed root that is a link allows what it leads to.
  const viaLink = await checkHostPaths(spec('/srvlink/y'), [{ roots: ['/srvlink'], source: 'the host policy' }], root);
  assert.is(viaLink.volumes[0]!.hostPath, '/data/y');
});

test('a blind agent (in a container without --host-root) refuses host paths and says how to fix it', async () => {
  const err = await rejection(checkHostPaths(spec('/srv/app'), [{ roots: ['/srv'], source: 'the host policy' }], { kind: 'blind', reason: 'this agent runs in a container (/.dockerenv) without --host-root' }));
  assert.is(err.code, 'PolicyViolation');
  assert.match(err.message, /runs in a container .* --host-root \/host/);
  // "/" in every set: nothing to check, nothing refused.
  const all = await checkHostPaths(spec('/srv/app'), [{ roots: ['/'], source: 'x' }], { kind: 'blind', reason: 'r' });
  assert.is(all.volumes[0]!.hostPath, '/srv/app');
  assert.is((await checkHostPaths(spec('/srv/app'), [], ON_HOST)).volumes[0]!.hostPath, '/srv/app');
});

test.after(() => rmSync(host, { recursive: true, force: true }));
test.run();
