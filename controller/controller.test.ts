// The controller's wiring around leadership, on a directory store and a Leadership the test drives:
// a standby serves reads but never reconciles; leading reconciles; losing the leadership stops it
// again; leading again catches up (every key is enqueued anew).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../test/support/wait.js';
import { Controller } from './controller.js';
import type { Leadership } from './leader/leadership.js';
import { DirectoryStore } from './store/dir/dir-store.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

const root = mkdtempSync(join(tmpdir(), 'berth-controller-'));
const manifest = (image: string) => `apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: h, namespace: ns }\nspec: { containers: [ { name: c, image: ${image} } ] }\n`;
writeFileSync(join(root, 'host.yaml'), manifest('busybox:1'));
const store = new DirectoryStore({ paths: [root], stateDir: join(root, '.state'), logger: pino({ level: 'silent' }), debounceMs: 20 });

let leader = false;
let callbacks: { onStartedLeading: () => void; onStoppedLeading: () => void } | undefined;
const leadership: Leadership = {
  start(cb) { callbacks = cb; },
  async stop() { if (leader) { leader = false; callbacks?.onStoppedLeading(); } },
  isLeader: () => leader,
};
const lead = () => { leader = true; callbacks?.onStartedLeading(); };
const loseLead = () => { leader = false; callbacks?.onStoppedLeading(); };

const controller = new Controller({ store, leadership, logger: pino({ level: 'silent' }), version: 'test', listen: { host: '127.0.0.1', port: 0 }, webRoot: false });
const readyz = async () => (await fetch(`${controller.address}/readyz`)).status;
const generation = () => store.host('ns/h')?.status?.observedGeneration;

test.before(async () => { await controller.start(); });
test.after(async () => { await controller.stop(); rmSync(root, { recursive: true, force: true }); });

test('a standby answers reads but does not reconcile', async () => {
  assert.ok(store.host('ns/h'), 'the store has the host');
  assert.is(await readyz(), 503);
  await tick(100);
  assert.is(store.host('ns/h')?.status, undefined, 'no status written while standing by');
});

test('leading reconciles; losing the lead stops it; leading again catches up', async () => {
  lead();
  assert.is(await readyz(), 200);
  await until('status written by the leader', () => generation() !== undefined);
  const first = generation() ?? 0;

  loseLead();
  assert.is(await readyz(), 503);
  writeFileSync(join(root, 'host.yaml'), manifest('busybox:2'));
  await until('the store sees the new spec', () => (store.host('ns/h')?.metadata.generation ?? 0) > first);
  await tick(150);
  assert.is(generation(), first, 'a former leader does not write status');

  lead();
  await until('the new generation reconciled after leading again', () => (generation() ?? 0) > first);
});

test.run();
