// state.json written in pieces (issue 17, item 3: building the whole text at once was the largest
// part of the start-up peak at 10,000 hosts): the pieces make the same JSON the whole-object form
// did, a persist asked for while one is queued joins it, unchanged state is not rewritten, and no
// tmp file is left behind.
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerHost } from '../../api/types.js';
import { asDigest, contentDigest, specDigest } from './digest.js';
import type { SourceResource } from './sources.js';
import { StateDir } from './state-dir.js';
import { StateFile, stateSnapshot, stateText, type MetaRecord, type StateInput } from './state-file.js';

const res = (kind: SourceResource['kind'], name: string, file: string): SourceResource => ({
  id: `${kind}/ns/${name}`, kind, namespace: 'ns', name, file, index: 1,
  object: { kind, metadata: { name, namespace: 'ns' }, spec: { text: 'quotes " and \\ and ünïcode' } }, content: '{}',
});

function input(n: number, resourceVersion = 7): StateInput {
  const lastGood = new Map<string, SourceResource[]>();
  const meta = new Map<string, MetaRecord>();
  const held: SourceResource[] = [];
  for (let i = n - 1; i >= 0; i--) {   // inserted out of order: the text is sorted
    const file = `/m/h${i}.yaml`;
    const list = [res('ContainerHost', `h${i}`, file), res('AgentToken', `h${i}`, file), res('Secret', `s${i}`, file)];
    lastGood.set(file, list);
    held.push(...list);
    meta.set(`ContainerHost/ns/h${i}`, { uid: `u${i}`, generation: 1, creationTimestamp: 't', specJson: '{"a":1}' });
  }
  const tomb = { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: { name: 'gone', namespace: 'ns', uid: 'ug', deletionTimestamp: 'x' }, spec: {}, status: { phase: 'x' } } as unknown as ContainerHost;
  return { resourceVersion, lastGood, held, meta, hosts: [tomb] };
}

/** What state.json held before it was written in pieces (the whole object, stringified at once). */
function wholeObject(s: StateInput): unknown {
  const noSecrets = (list: Iterable<SourceResource>) => [...list].filter((r) => r.kind !== 'Secret');
  return {
    version: 1, resourceVersion: s.resourceVersion,
    files: Object.fromEntries([...s.lastGood].sort(([a], [b]) => (a < b ? -1 : 1)).map(([f, l]) => [f, noSecrets(l)])),
    held: noSecrets(s.held),
    meta: Object.fromEntries([...s.meta].sort(([a], [b]) => (a < b ? -1 : 1))),
    tombstones: s.hosts.filter((h) => h.metadata.deletionTimestamp).map(({ status: _s, ...h }) => h),
  };
}

test('the pieces make the same JSON as the whole object, keys in the same order, no Secrets, tombstones without status', () => {
  for (const n of [0, 1, 5]) {
    const s = input(n);
    const text = stateText(s);
    assert.is(text, `${JSON.stringify(wholeObject(s))}\n`, `${n} hosts`);
    assert.not.match(text, /"kind":"Secret"/);
  }
});

async function withFile(fn: (file: StateFile, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-state-file-'));
  try { await fn(new StateFile(new StateDir(dir), pino({ level: 'silent' })), dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('persist writes many batches correctly, coalesces queued requests, skips unchanged text and leaves no tmp file', () => withFile(async (file, dir) => {
  const big = input(3000);   // several MB: more than one write batch
  let snapshots = 0;
  const snap = (s: StateInput) => () => { snapshots++; return stateSnapshot(s); };
  const a = file.persist(snap(big));
  const b = file.persist(snap(big));
  assert.is(a, b, 'the second request joined the queued one');
  await a;
  assert.is(snapshots, 1);
  assert.is(readFileSync(file.path, 'utf8'), stateText(big));
  const mtime = statSync(file.path).mtimeMs;
  await new Promise((r) => setTimeout(r, 20));
  await file.persist(snap(big));
  assert.is(statSync(file.path).mtimeMs, mtime, 'unchanged state is not rewritten');
  const changed = input(3000, 8);
  await file.persist(snap(changed));
  assert.is(JSON.parse(readFileSync(file.path, 'utf8')).resourceVersion, 8);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no tmp file left');
  assert.is((statSync(file.path).mode & 0o777).toString(8), '600');
}));

test('an older state file (JSON copies in content and specJson) loads as the digests the current code computes: an upgrade changes nothing', () => withFile(async (file) => {
  const old = input(2);
  writeFileSync(file.path, stateText(old));   // content '{}', specJson '{"a":1}': the JSON itself
  const loaded = file.load()!;
  assert.is(loaded.held[0]!.content, contentDigest('{}'));
  assert.is(Object.values(loaded.files)[0]![0]!.content, contentDigest('{}'));
  assert.is(Object.values(loaded.meta)[0]!.specJson, specDigest({ a: 1 }));
  assert.is(asDigest(contentDigest('{}')), contentDigest('{}'), 'a digest stays a digest');
  assert.is(loaded.resourceVersion, 7);
}));

test.run();
