// Upgrading over a state.json that still holds JSON copies (content, specJson) instead of digests:
// the same uid and generation, and no change reported for any resource (issue 17, item 3).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson } from '../../lib/canonical-json.js';
import { DIGEST_PREFIX } from './digest.js';
import { DirectoryStore } from './dir-store.js';
import type { PersistedState } from './state-file.js';

const HOST = 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: h, namespace: ns }\nspec: { containers: [ { name: c, image: busybox } ] }\n';

test('a state.json of the previous format (JSON copies) loads with the same uid and generation and reports no change', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-digest-'));
  try {
    mkdirSync(join(root, 'm'));
    writeFileSync(join(root, 'm', 'h.yaml'), HOST);
    const open = () => new DirectoryStore({ paths: [join(root, 'm')], stateDir: join(root, 's'), logger: pino({ level: 'silent' }) });
    const first = open();
    await first.start();
    const before = first.host('ns/h')!;
    await first.stop();
    // Rewrite it as the previous release wrote it: the canonical JSON itself.
    const path = join(root, 's', 'state.json');
    const state = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
    assert.ok(state.held[0]!.content.startsWith(DIGEST_PREFIX), 'this release writes digests');
    for (const r of [...state.held, ...Object.values(state.files).flat()]) r.content = canonicalJson(r.object);
    for (const [id, m] of Object.entries(state.meta)) m.specJson = canonicalJson(state.held.find((r) => r.id === id)!.object.spec);
    writeFileSync(path, JSON.stringify(state));
    const second = open();
    const changes: string[] = [];
    second.subscribe((c) => changes.push(`${c.kind} ${c.key}`));
    await second.start();
    const after = second.host('ns/h')!;
    assert.is(after.metadata.uid, before.metadata.uid);
    assert.is(after.metadata.generation, before.metadata.generation);
    assert.equal(changes, [], 'nothing reported as changed');
    await second.stop();
    const rewritten = JSON.parse(readFileSync(path, 'utf8')) as PersistedState;
    assert.ok(rewritten.held[0]!.content.startsWith(DIGEST_PREFIX), 'and written back as digests');
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test.run();
