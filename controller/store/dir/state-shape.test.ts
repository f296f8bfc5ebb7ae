// state.json of the wrong shape: the store refuses to start with the field that is wrong, never a
// bare TypeError, and leaves the file as it was.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirectoryStore } from './dir-store.js';
import { stateShapeProblem } from './state-shape.js';

const HOST = 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: h, namespace: ns }\nspec: { containers: [ { name: c, image: busybox } ] }\n';

async function written(): Promise<{ root: string; state: unknown }> {
  const root = mkdtempSync(join(tmpdir(), 'berth-state-shape-'));
  mkdirSync(join(root, 'm'));
  writeFileSync(join(root, 'm', 'host.yaml'), HOST);
  const store = new DirectoryStore({ paths: [join(root, 'm')], stateDir: join(root, 's'), logger: pino({ level: 'silent' }) });
  await store.start();
  await store.stop();
  return { root, state: JSON.parse(readFileSync(join(root, 's', 'state.json'), 'utf8')) };
}

test('a state.json the store wrote has the right shape', async () => {
  const { root, state } = await written();
  try { assert.is(stateShapeProblem(state), undefined); } finally { rmSync(root, { recursive: true, force: true }); }
});

const cases: Array<[string, (s: Record<string, any>) => unknown, RegExp]> = [
  ['an array', () => [], /must hold a JSON object/],
  ['null', () => null, /must hold a JSON object/],
  ['no version', ({ version: _v, ...s }) => s, /version: missing, expected 1/],
  ['meta a list', (s) => ({ ...s, meta: [] }), /meta: must be an object/],
  ['a meta record without uid', (s) => ({ ...s, meta: Object.fromEntries(Object.entries(s.meta).map(([k, m]) => [k, { ...(m as object), uid: 7 }])) }), /meta\[".*"\]\.uid: must be a non-empty string/],
  ['held a string', (s) => ({ ...s, held: 'x' }), /held: must be a list/],
  ['a held resource of an unknown kind', (s) => ({ ...s, held: [{ ...s.held[0], kind: 'Pod' }] }), /held\[0\]\.kind: must be one of/],
  ['files of objects', (s) => ({ ...s, files: { 'a.yaml': {} } }), /files\["a\.yaml"\]: must be a list/],
  ['a tombstone without metadata', (s) => ({ ...s, tombstones: [{}] }), /tombstones\[0\]\.metadata: must be an object/],
  ['resourceVersion a string', (s) => ({ ...s, resourceVersion: '5' }), /resourceVersion: must be a whole number/],
];

for (const [what, mutate, message] of cases) {
  test(`state.json with ${what}: the start fails naming the field; the file is left as it was`, async () => {
    const { root, state } = await written();
    try {
      const text = JSON.stringify(mutate(structuredClone(state) as Record<string, any>));
      writeFileSync(join(root, 's', 'state.json'), text);
      assert.match(stateShapeProblem(JSON.parse(text)) ?? '', message);
      const store = new DirectoryStore({ paths: [join(root, 'm')], stateDir: join(root, 's'), logger: pino({ level: 'silent' }) });
      let error: Error | undefined;
      await store.start().catch((err: Error) => { error = err; });
      await store.stop().catch(() => undefined);
      assert.ok(error, 'the start failed');
      assert.not.instance(error, TypeError);
      assert.match(error!.message, /state file .*state\.json is not a Berth state file/);
      assert.match(error!.message, message);
      assert.match(error!.message, /move it away to start from scratch/);
      assert.is(readFileSync(join(root, 's', 'state.json'), 'utf8'), text, 'not replaced');
    } finally { rmSync(root, { recursive: true, force: true }); }
  });
}

test('a state.json from a newer release says so', async () => {
  const { root, state } = await written();
  try {
    writeFileSync(join(root, 's', 'state.json'), JSON.stringify({ ...(state as object), version: 2 }));
    const store = new DirectoryStore({ paths: [join(root, 'm')], stateDir: join(root, 's'), logger: pino({ level: 'silent' }) });
    const err = await store.start().then(() => undefined, (e: Error) => e);
    await store.stop().catch(() => undefined);
    assert.match(err?.message ?? '', /version 2, written by a newer Berth/);
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test.run();
