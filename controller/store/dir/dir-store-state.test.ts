// DirectoryStore, its state directory: restarts, the signing key, agent-token files, status written behind, recorded events.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentToken } from '../../api/types.js';
import { DirectoryStore } from './dir-store.js';
import type { SigningKeyMaterial, StoreChange } from '../store.js';
import { host, open, tempDir, token, waitFor, withStore, write } from './dir-store-harness.js';

test('uids, generations, status and tombstones survive a restart', async () => {
  const dir = tempDir();
  const stateDir = tempDir();
  write(join(dir, 'hosts.yaml'), host('a') + '---\n' + host('b') + '---\n' + token('a'));
  let h = await open(dir, stateDir);
  try {
    write(join(dir, 'hosts.yaml'), host('a', { image: 'nginx:2' }) + '---\n' + host('b') + '---\n' + token('a'));
    await waitFor('generation 2', () => h.store.host('default/a')!.metadata.generation === 2);
    const a = h.store.host('default/a')!;
    const tokenUid = h.store.token('default/a')!.metadata.uid;
    await h.store.writeHostStatus('default/a', { observedGeneration: 2, ready: '1/1' });
    await h.store.writeTokenStatus('default/a', { tokenID: tokenUid, secretName: 'a-agent-token' });
    assert.equal(h.store.host('default/a')!.status, { observedGeneration: 2, ready: '1/1' });
    await h.stop();

    h = await open(dir, stateDir);
    const a2 = h.store.host('default/a')!;
    assert.is(a2.metadata.uid, a.metadata.uid);
    assert.is(a2.metadata.generation, 2);
    assert.is(a2.metadata.creationTimestamp, a.metadata.creationTimestamp);
    assert.equal(a2.status, { observedGeneration: 2, ready: '1/1' });
    assert.is(h.store.tokenByUid(tokenUid)!.status!.secretName, 'a-agent-token');
    assert.equal(h.startEvents, [], 'nothing changed while stopped: no events');

    write(join(dir, 'hosts.yaml'), host('a', { image: 'nginx:2' }) + '---\n' + token('a'));
    await waitFor('b tombstoned', () => h.store.host('default/b')?.metadata.deletionTimestamp);
    const bUid = h.store.host('default/b')!.metadata.uid;
    await h.stop();

    h = await open(dir, stateDir);
    const b = h.store.host('default/b')!;
    assert.ok(b.metadata.deletionTimestamp, 'a restart still has the tombstone to clean up');
    assert.is(b.metadata.uid, bUid);
    await h.store.removeFinalizer('default/b');
    await h.stop();

    rmSync(join(dir, 'hosts.yaml'));   // deleted while the controller is down
    h = await open(dir, stateDir);
    assert.equal(h.store.hosts().map((x) => x.metadata.name), ['a'], 'b stayed dropped');
    assert.ok(h.store.host('default/a')!.metadata.deletionTimestamp, 'files deleted while stopped are deletions at start');
    assert.is(h.store.token('default/a'), undefined);
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a file broken at start keeps its last good version from the state directory', async () => {
  const dir = tempDir();
  const stateDir = tempDir();
  write(join(dir, 'hosts.yaml'), host('a') + '---\n' + token('a'));
  let h = await open(dir, stateDir);
  const uid = h.store.host('default/a')!.metadata.uid;
  await h.stop();
  write(join(dir, 'hosts.yaml'), 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: a }\nspec: { paused: maybe }\n');
  h = await open(dir, stateDir);
  try {
    assert.is(h.store.problems().length, 1);
    assert.is(h.store.problems()[0]!.line, 4);
    assert.is(h.store.host('default/a')!.metadata.uid, uid);
    assert.is(h.store.host('default/a')!.metadata.deletionTimestamp, undefined);
    assert.ok(h.store.token('default/a'));
    assert.equal(h.startEvents, []);
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
});

function fakeKey(n: number): SigningKeyMaterial {
  return { kid: `kid-${n}`, privateJwk: { kty: 'OKP', crv: 'Ed25519', x: `x${n}`, d: `d${n}` }, publicJwk: { kty: 'OKP', crv: 'Ed25519', x: `x${n}` } };
}

test('the signing key is created once (0600) and stays the same, also across stores and races', async () => {
  await withStore(async ({ dir, stateDir, store }) => {
    let generated = 0;
    const generate = async () => fakeKey(++generated);
    const [k1, k2] = await Promise.all([store.signingKey(generate), store.signingKey(generate)]);
    assert.equal(k1, fakeKey(1));
    assert.equal(k2, k1);
    assert.is(generated, 1);
    const path = join(stateDir, 'signing-key.json');
    assert.is(statSync(path).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(path, 'utf8')), fakeKey(1));

    const again = new DirectoryStore({ paths: [dir], stateDir, resyncMs: 0 });
    assert.equal(await again.signingKey(generate), fakeKey(1));
    assert.is(generated, 1, 're-read, not regenerated');

    // Two processes racing on a fresh state directory end up with one key.
    const fresh = tempDir();
    try {
      const s1 = new DirectoryStore({ paths: [dir], stateDir: fresh, resyncMs: 0 });
      const s2 = new DirectoryStore({ paths: [dir], stateDir: fresh, resyncMs: 0 });
      const [a, b] = await Promise.all([s1.signingKey(async () => fakeKey(10)), s2.signingKey(async () => fakeKey(20))]);
      assert.equal(a, b);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }

    writeFileSync(path, '{ not json');
    const corrupt = new DirectoryStore({ paths: [dir], stateDir, resyncMs: 0 });
    try {
      await corrupt.signingKey(generate);
      assert.unreachable('a corrupt key must not be replaced silently');
    } catch (err) {
      assert.match((err as Error).message, 'corrupt');
    }
  });
});

test('agent tokens are written as 0600 files in 0700 directories and removed with their AgentToken', async () => {
  await withStore(async ({ dir, stateDir, store }) => {
    const tok = store.token('games/box-1') as AgentToken;
    const jwt = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJnYW1lcy9ib3gtMSJ9.c2ln';
    await store.writeAgentToken(tok, 'box-1-agent-token', jwt, 'wss://controller.example/agent/v1/connect');
    const base = join(stateDir, 'tokens', 'games');
    assert.is(statSync(join(stateDir, 'tokens')).mode & 0o777, 0o700);
    assert.is(statSync(base).mode & 0o777, 0o700);
    for (const f of ['box-1-agent-token.json', 'box-1-agent-token.token']) assert.is(statSync(join(base, f)).mode & 0o777, 0o600, f);
    assert.is(readFileSync(join(base, 'box-1-agent-token.token'), 'utf8'), jwt);
    assert.equal(JSON.parse(readFileSync(join(base, 'box-1-agent-token.json'), 'utf8')), { token: jwt, url: 'wss://controller.example/agent/v1/connect' });

    await store.writeAgentToken(tok, 'box-1-agent-token', `${jwt}2`, 'wss://x');   // rotation replaces
    assert.is(readFileSync(join(base, 'box-1-agent-token.token'), 'utf8'), `${jwt}2`);

    write(join(dir, 'token.yaml'), '# revoked\n');
    await waitFor('token files removed', () => {
      try { statSync(join(base, 'box-1-agent-token.token')); return false; } catch { return true; }
    });
  }, (dir) => write(join(dir, 'token.yaml'), token('box-1', 'box-1', 'games')));
});

test('status is written behind: memory at once, the file after; a burst ends with the last one on disk; stop() flushes; a removed state tree is remade', async () => {
  await withStore(async ({ store, stateDir }) => {
    const file = join(stateDir, 'status', 'ContainerHost', 'default', 'a.json');
    const uid = store.host('default/a')!.metadata.uid;
    // Not awaited one by one: a reconcile does not wait for the disk, and 200 quick writes of the
    // same host must end with the last one on disk.
    const writes = Array.from({ length: 200 }, (_, i) => store.writeHostStatus('default/a', { observedGeneration: 1, ready: `${i}/200` }));
    assert.equal(store.host('default/a')!.status, { observedGeneration: 1, ready: '199/200' }, 'in memory before any write finished');
    await Promise.all(writes);
    await waitFor('the last status on disk', () => {
      try { return (JSON.parse(readFileSync(file, 'utf8')) as { status: { ready: string } }).status.ready === '199/200'; } catch { return false; }
    });
    assert.equal(JSON.parse(readFileSync(file, 'utf8')), { uid, status: { observedGeneration: 1, ready: '199/200' } });

    rmSync(join(stateDir, 'status'), { recursive: true, force: true });
    await store.writeHostStatus('default/a', { observedGeneration: 1, ready: '1/1' });
    await store.stop();   // flushes
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).status, { observedGeneration: 1, ready: '1/1' });
    assert.is(statSync(file).mode & 0o777, 0o600);
  }, (dir) => write(join(dir, 'a.yaml'), host('a')));
});

test('own status writes reach watchAll() listeners (the page), never subscribe() ones (the reconcilers)', async () => {
  await withStore(async ({ dir, store, events, barrier }) => {
    const all: string[] = [];
    store.watchAll((e: StoreChange) => { if (e.key !== 'default/zz-barrier') all.push(`${e.kind} ${e.key}`); });
    await store.writeHostStatus('default/a', { observedGeneration: 1, ready: '1/1' });
    await store.writeTokenStatus('default/a', {});
    assert.equal(all, ['ContainerHost default/a', 'AgentToken default/a']);
    await barrier();
    assert.equal(events, [], 'no change for the reconcilers');
    // A real change reaches both.
    write(join(dir, 'a.yaml'), `${host('a', { image: 'nginx:2' })}---\n${token('a')}`);
    await barrier();
    assert.equal(events, ['ContainerHost default/a']);
    assert.equal(all.at(-1), 'ContainerHost default/a');
  }, (dir) => write(join(dir, 'a.yaml'), `${host('a')}---\n${token('a')}`));
});

test('writeTokenStatus with a function: made from the status as stored; undefined writes nothing', async () => {
  await withStore(async ({ store }) => {
    await store.writeTokenStatus('default/a', { secretName: 'a-agent-token', issuedAt: '2026-12-01T12:00:00Z' });
    const version = store.token('default/a')!.metadata.resourceVersion;
    await store.writeTokenStatus('default/a', () => undefined);
    assert.is(store.token('default/a')!.metadata.resourceVersion, version, 'nothing written');
    await store.writeTokenStatus('default/a', (current) => ({ ...current, lastUsedAt: '2026-12-01T12:01:00Z' }));
    assert.equal(store.token('default/a')!.status, { secretName: 'a-agent-token', issuedAt: '2026-12-01T12:00:00Z', lastUsedAt: '2026-12-01T12:01:00Z' });
  }, (dir) => write(join(dir, 'a.yaml'), `${host('a')}---\n${token('a')}`));
});

test('recorded events: the last 100 per resource, repeats counted', async () => {
  await withStore(async ({ store }) => {
    for (let i = 0; i < 105; i++) store.recordEvent('ContainerHost', 'default/a', { type: 'Normal', reason: 'Step', message: `step ${i}` });
    store.recordEvent('ContainerHost', 'default/a', { type: 'Warning', reason: 'Oops', message: 'same' });
    store.recordEvent('ContainerHost', 'default/a', { type: 'Warning', reason: 'Oops', message: 'same' });
    const events = store.events('ContainerHost', 'default/a');
    assert.is(events.length, 100);
    assert.is(events[0]!.message, 'step 6');
    assert.is(events.at(-1)!.count, 2);
    assert.is(events.at(-1)!.type, 'Warning');
    assert.equal(store.events('AgentToken', 'default/a'), []);
  }, (dir) => write(join(dir, 'a.yaml'), host('a')));
});

test.run();
