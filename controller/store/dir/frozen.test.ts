// The spec the directory store serves is the one it keeps of the file (no copy per host), frozen:
// changing it in place throws instead of silently changing what state.json records.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirectoryStore } from './dir-store.js';
import { deepFrozen } from './frozen.js';

test('deepFrozen freezes every object and array inside, and leaves scalars alone', () => {
  const v = deepFrozen({ a: [{ b: 1 }], c: { d: 'x' }, e: null });
  assert.ok(Object.isFrozen(v) && Object.isFrozen(v.a) && Object.isFrozen(v.a[0]) && Object.isFrozen(v.c));
  assert.is(deepFrozen(3), 3);
});

test('a served host spec is frozen: a change in place throws, and the store still serves the declaration', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-frozen-'));
  try {
    mkdirSync(join(root, 'm'));
    writeFileSync(join(root, 'm', 'h.yaml'), 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: h, namespace: ns }\nspec: { containers: [ { name: c, image: busybox, env: [ { name: A, value: "1" } ] } ] }\n');
    const store = new DirectoryStore({ paths: [join(root, 'm')], stateDir: join(root, 's'), logger: pino({ level: 'silent' }) });
    await store.start();
    const host = store.host('ns/h')!;
    assert.throws(() => { (host.spec.containers![0] as { image: string }).image = 'nginx'; }, TypeError);
    assert.throws(() => { host.spec.containers!.push(host.spec.containers![0]!); }, TypeError);
    assert.is(store.host("ns/h")!.spec.containers![0]!.image, 'busybox');
    await store.stop();
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test.run();
