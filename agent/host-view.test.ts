import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectHostView, type EngineProbe } from './host-view.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-hostview-'));
const marker = join(dir, '.dockerenv');
writeFileSync(marker, '');
const engine = (self: Awaited<ReturnType<EngineProbe['mountsOf']>>, dataRoot = '/nowhere/docker'): EngineProbe => ({
  info: async () => ({ DockerRootDir: dataRoot }),
  mountsOf: async (name) => (name === 'abc123' ? self : undefined),
});

test('no container marker: on the host', async () => {
  assert.equal(await detectHostView(engine(undefined), { markers: [join(dir, 'absent')] }), { kind: 'root', root: '/' });
});

test('in a container the engine runs: the host root is where it bind-mounts "/"', async () => {
  const v = await detectHostView(engine([{ Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock' }, { Type: 'bind', Source: '/', Destination: dir }]), { markers: [marker], hostname: 'abc123' });
  assert.equal(v, { kind: 'root', root: dir });
  const blind = await detectHostView(engine([{ Type: 'bind', Source: '/etc/berth/token', Destination: '/etc/berth/token' }]), { markers: [marker], hostname: 'abc123' });
  assert.is(blind.kind, 'blind');
  assert.match((blind as { reason: string }).reason, /does not mount the host's root/);
});

test('in a container the engine does not know: on the host only if the engine data root is visible', async () => {
  assert.equal(await detectHostView(engine(undefined, dir), { markers: [marker], hostname: 'other' }), { kind: 'root', root: '/' });
  const blind = await detectHostView(engine(undefined), { markers: [marker], hostname: 'other' });
  assert.is(blind.kind, 'blind');
  assert.match((blind as { reason: string }).reason, /\/nowhere\/docker\) are not visible here/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
