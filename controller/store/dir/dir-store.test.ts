// DirectoryStore, scanning and the deletion rule: loading, edits, broken and invalid files, tombstones, sources, re-scans.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ResourceValidator } from '../../api/validate.js';
import { DirectoryStore } from './dir-store.js';
import { DEBOUNCE, host, open, tempDir, token, waitFor, withStore, write } from './dir-store-harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('loads hosts, tokens and secrets from nested dirs and multi-document files, with defaults', async () => {
  await withStore(async ({ store }) => {
    assert.equal(store.problems(), []);
    assert.equal(store.hosts().map((h) => `${h.metadata.namespace}/${h.metadata.name}`), ['default/edge-1', 'games/box-1']);
    const box = store.host('games/box-1')!;
    assert.match(box.metadata.uid, UUID);
    assert.is(box.metadata.generation, 1);
    assert.equal(box.metadata.finalizers, ['berth.dev/cleanup']);
    assert.ok(box.metadata.creationTimestamp && box.metadata.resourceVersion);
    assert.is(box.metadata.deletionTimestamp, undefined);
    assert.is(box.status, undefined, 'status is never read from the manifests');
    assert.is(box.spec.removalPolicy, 'Delete');
    assert.is(box.spec.containers![0]!.state, 'Running');
    assert.is(box.spec.containers![0]!.restartPolicy, 'UnlessStopped');
    assert.is(store.host('default/edge-1')!.metadata.namespace, 'default', 'namespace defaults to default');
    assert.equal(store.tokens().map((t) => t.metadata.name), ['box-1']);
    const tok = store.token('games/box-1')!;
    assert.is(store.tokenByUid(tok.metadata.uid), tok);
    assert.is(store.tokenByUid('nope'), undefined);
    assert.is(store.secret('games', 'regcred')!.type, 'kubernetes.io/dockerconfigjson');
    assert.is(store.secret('games', 'regcred')!.data['.dockerconfigjson']!.toString(), '{"auths":{}}');
    assert.is(store.secret('default', 'web-secrets')!.data.password!.toString(), 'hunter2');
    assert.is(store.secret('default', 'web-secrets')!.data.user!.toString(), 'admin');
    assert.is(store.secret('default', 'hidden'), undefined, 'hidden directories are skipped');
  }, (dir) => {
    write(join(dir, 'games', 'hosts.yaml'), [
      host('box-1', { namespace: 'games' }) + 'status:\n  ready: "7/7"\n',
      'apiVersion: v1\nkind: Namespace\nmetadata: { name: games }\n',
      token('box-1', 'box-1', 'games'),
    ].join('---\n'));
    write(join(dir, 'edge', 'deep', 'edge.yml'), host('edge-1'));
    write(join(dir, 'secrets.yaml'), [
      `apiVersion: v1\nkind: Secret\nmetadata: { name: regcred, namespace: games }\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${Buffer.from('{"auths":{}}').toString('base64')}\n`,
      `apiVersion: v1\nkind: Secret\nmetadata: { name: web-secrets }\ndata: { user: ${Buffer.from('admin').toString('base64')} }\nstringData: { password: hunter2 }\n`,
    ].join('---\n'));
    write(join(dir, 'README.md'), '# not a manifest: {{{');
    write(join(dir, '.hidden', 'x.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: { name: hidden }\n');
  });
});

test('editing a file emits an event; generation moves only with the spec', async () => {
  await withStore(async ({ dir, store, events, barrier }) => {
    const file = join(dir, 'a.yaml');
    const uid = store.host('default/a')!.metadata.uid;
    assert.is(store.host('default/a')!.metadata.generation, 1);

    write(file, host('a', { comment: 'only a comment changed' }));
    await barrier();
    assert.equal(events, [], 'a comment-only change is no change');
    assert.is(store.host('default/a')!.metadata.generation, 1);

    write(file, host('a', { image: 'nginx:1.28' }));
    await waitFor('spec change event', () => events.includes('ContainerHost default/a'));
    const changed = store.host('default/a')!;
    assert.is(changed.metadata.generation, 2);
    assert.is(changed.metadata.uid, uid);
    assert.is(changed.spec.containers![0]!.image, 'nginx:1.28');

    events.length = 0;
    write(file, host('a', { image: 'nginx:1.28', annotations: '{ berth.dev/rotate: "1" }' }));
    await waitFor('metadata change event', () => events.includes('ContainerHost default/a'));
    assert.is(store.host('default/a')!.metadata.generation, 2, 'annotations are not spec');
    assert.equal(store.host('default/a')!.metadata.annotations, { 'berth.dev/rotate': '1' });

    events.length = 0;
    write(file + '.tmp', host('a', { image: 'nginx:1.29', annotations: '{ berth.dev/rotate: "1" }' }));
    renameSync(file + '.tmp', file);   // how many editors save
    await waitFor('change saved by rename', () => store.host('default/a')!.spec.containers![0]!.image === 'nginx:1.29');
    assert.is(store.host('default/a')!.metadata.generation, 3);
    assert.equal(events, ['ContainerHost default/a']);
  }, (dir) => write(join(dir, 'a.yaml'), host('a')));
});

test('a broken YAML file is reported with file and line; its resources keep their last good version', async () => {
  await withStore(async ({ dir, store, events, barrier }) => {
    const file = join(dir, 'hosts.yaml');
    const before = store.host('default/a')!;
    write(file, host('a', { image: 'nginx:9' }) + '  oops: [\n' + '---\n' + host('c'));
    await waitFor('problem', () => store.problems().length > 0);
    await barrier();
    await barrier();   // two full re-scans: a removal would have been confirmed by now
    const problems = store.problems();
    assert.is(problems.length, 1);
    assert.is(problems[0]!.source, file);
    assert.type(problems[0]!.line, 'number');
    assert.match(problems[0]!.message, 'YAML');
    assert.ok(!Number.isNaN(Date.parse(problems[0]!.since)));
    assert.equal(events, [], 'a broken file changes nothing');
    assert.equal(store.host('default/a'), before, 'last good version kept');
    assert.ok(store.host('default/b') && !store.host('default/b')!.metadata.deletionTimestamp);
    assert.ok(store.token('default/a'));
    assert.is(store.host('default/c'), undefined, 'nothing from a broken file is added');

    write(file, host('a') + '---\n' + host('b') + '---\n' + token('a'));
    await waitFor('problem cleared', () => store.problems().length === 0);
    await barrier();
    assert.equal(events, []);
  }, (dir) => write(join(dir, 'hosts.yaml'), host('a') + '---\n' + host('b') + '---\n' + token('a')));
});

test('a schema-invalid file is reported with file and line; nothing of it changes until fixed', async () => {
  await withStore(async ({ dir, store, events, barrier }) => {
    const file = join(dir, 'hosts.yaml');
    // Document 1 is fine, document 2 (host b) breaks the file: b is NOT deleted, a is NOT changed.
    write(file, host('a', { image: 'nginx:2' }) + '---\n' + host('b').replace('spec:\n', 'spec:\n  removalPolicy: Sometimes\n'));
    await waitFor('problem', () => store.problems().length > 0);
    await barrier();
    await barrier();
    const [problem, ...rest] = store.problems();
    assert.equal(rest, []);
    assert.is(problem!.source, file);
    assert.is(problem!.line, 15);
    assert.match(problem!.message, 'ContainerHost b (document 2): spec.removalPolicy: must be one of: Delete, Orphan');
    assert.equal(events, []);
    assert.is(store.host('default/a')!.spec.containers![0]!.image, 'nginx:1.27');
    assert.ok(store.host('default/b') && !store.host('default/b')!.metadata.deletionTimestamp);

    const since = problem!.since;
    write(file, host('a', { image: 'nginx:3' }) + '---\n' + host('b').replace('spec:\n', 'spec:\n  removalPolicy: Never\n'));
    await barrier();
    assert.is(store.problems()[0]!.since, since, 'still broken: since is kept');

    write(file, host('a', { image: 'nginx:2' }));   // fixed, and b really removed
    await waitFor('problem cleared', () => store.problems().length === 0);
    await waitFor('b tombstoned', () => store.host('default/b')?.metadata.deletionTimestamp);
    assert.is(store.host('default/a')!.spec.containers![0]!.image, 'nginx:2');
    assert.is(store.host('default/a')!.metadata.generation, 2);
  }, (dir) => write(join(dir, 'hosts.yaml'), host('a') + '---\n' + host('b')));
});

test('a host removed from a valid file becomes a tombstone until removeFinalizer; tokens and secrets just go', async () => {
  await withStore(async ({ dir, store, events }) => {
    const uid = store.host('default/a')!.metadata.uid;
    const tokenUid = store.token('default/a')!.metadata.uid;
    write(join(dir, 'hosts.yaml'), host('b'));
    write(join(dir, 'secret.yaml'), '# emptied\n');
    const gone = await waitFor('tombstone', () => store.host('default/a')?.metadata.deletionTimestamp ? store.host('default/a') : undefined);
    assert.equal(gone.metadata.finalizers, ['berth.dev/cleanup']);
    assert.is(gone.metadata.uid, uid);
    assert.ok(store.hosts().includes(gone), 'a terminating host is still listed');
    await waitFor('token and secret removed', () => !store.token('default/a') && !store.secret('default', 's'));
    assert.is(store.tokenByUid(tokenUid), undefined);
    assert.ok(events.includes('ContainerHost default/a') && events.includes('AgentToken default/a') && events.includes('Secret default/s'));
    assert.equal(store.events('ContainerHost', 'default/a').map((e) => e.reason), ['Deleting']);

    await store.writeHostStatus('default/a', { conditions: [] });   // the controller can still report on it
    await store.ensureFinalizer('default/a');
    await store.removeFinalizer('default/b');   // not being deleted: no-op
    assert.ok(store.host('default/b'));
    events.length = 0;
    await store.removeFinalizer('default/a');
    assert.is(store.host('default/a'), undefined);
    assert.equal(events, ['ContainerHost default/a']);
    assert.equal(store.hosts().map((h) => h.metadata.name), ['b']);

    write(join(dir, 'hosts.yaml'), host('a') + '---\n' + host('b'));
    const back = await waitFor('re-created', () => store.host('default/a'));
    assert.is.not(back.metadata.uid, uid, 'fully deleted then re-created: a new uid');
    assert.is(back.metadata.generation, 1);
    assert.is(back.status, undefined);
  }, (dir) => {
    write(join(dir, 'hosts.yaml'), host('a') + '---\n' + host('b') + '---\n' + token('a'));
    write(join(dir, 'secret.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: { name: s }\nstringData: { k: v }\n');
  });
});

test('a host declared again while tombstoned comes back alive with the same uid', async () => {
  await withStore(async ({ dir, store }) => {
    const uid = store.host('default/a')!.metadata.uid;
    rmSync(join(dir, 'a.yaml'));   // deleting the file deletes its resources
    await waitFor('tombstone', () => store.host('default/a')?.metadata.deletionTimestamp);
    write(join(dir, 'again.yaml'), host('a'));
    const back = await waitFor('alive again', () => !store.host('default/a')?.metadata.deletionTimestamp && store.host('default/a'));
    assert.is(back.metadata.uid, uid);
    assert.is(back.metadata.generation, 2);
    assert.equal(back.metadata.finalizers, ['berth.dev/cleanup']);
    assert.equal(store.events('ContainerHost', 'default/a').map((e) => e.reason), ['Deleting', 'DeletionCancelled']);
  }, (dir) => write(join(dir, 'a.yaml'), host('a')));
});
test('a configured path that vanishes is a problem, not a deletion', async () => {
  const dir = tempDir();
  const stateDir = tempDir();
  const sub = join(dir, 'manifests');
  write(join(sub, 'a.yaml'), host('a'));
  const store = new DirectoryStore({ paths: [sub], stateDir, debounceMs: DEBOUNCE, resyncMs: 0 });
  const events: string[] = [];
  store.subscribe((e) => events.push(`${e.kind} ${e.key}`));
  await store.start();
  events.length = 0;
  try {
    rmSync(sub, { recursive: true });
    await waitFor('problem', () => store.problems().some((p) => p.source === sub && p.message.includes('not found')));
    await new Promise((r) => setTimeout(r, DEBOUNCE * 4));
    assert.ok(store.host('default/a') && !store.host('default/a')!.metadata.deletionTimestamp);
    assert.equal(events, []);
    write(join(sub, 'a.yaml'), host('a', { image: 'nginx:2' }));
    await waitFor('path back and watched again', () => store.host('default/a')!.spec.containers![0]!.image === 'nginx:2' && store.problems().length === 0);
  } finally {
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a duplicate resource is reported against the later file; the first one wins', async () => {
  await withStore(async ({ dir, store }) => {
    assert.is(store.host('default/a')!.spec.containers![0]!.image, 'nginx:1');
    const [problem, ...rest] = store.problems();
    assert.equal(rest, []);
    assert.is(problem!.source, join(dir, 'b', 'dup.yaml'));
    assert.is(problem!.line, 4);
    assert.match(problem!.message, `ContainerHost default/a (document 1) is already defined in ${join(dir, 'a.yaml')}`);
  }, (dir) => {
    write(join(dir, 'a.yaml'), host('a', { image: 'nginx:1' }));
    write(join(dir, 'b', 'dup.yaml'), host('a', { image: 'nginx:2' }));
  });
});

test('a single file can be the source, and a nonexistent path makes start() fail naming it', async () => {
  const dir = tempDir();
  const stateDir = tempDir();
  try {
    const missing = join(dir, 'nope', 'hosts.yaml');
    const bad = new DirectoryStore({ paths: [dir, missing], stateDir, resyncMs: 0 });
    try {
      await bad.start();
      assert.unreachable('start() should reject');
    } catch (err) {
      assert.instance(err, Error);
      assert.match((err as Error).message, missing);
    } finally {
      await bad.stop();
    }
    const file = join(dir, 'only.yaml');
    write(file, host('solo'));
    write(join(dir, 'other.yaml'), host('other'));
    const h = await open(dir, stateDir, [file]);
    try {
      assert.equal(h.store.hosts().map((x) => x.metadata.name), ['solo']);
      write(file + '.swp', host('solo', { image: 'nginx:5' }));
      renameSync(file + '.swp', file);
      await waitFor('file source watched', () => h.store.host('default/solo')!.spec.containers![0]!.image === 'nginx:5');
    } finally {
      await h.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test('a re-scan parses only files that changed (same size, same second included); deleted and replaced files are seen', async () => {
  // The real validator, counting the documents it is asked about.
  class CountingValidator extends ResourceValidator {
    readonly seen: string[] = [];
    override validate<T = Record<string, unknown>>(document: unknown) {
      this.seen.push(String((document as { metadata?: { name?: string } }).metadata?.name));
      return super.validate<T>(document);
    }
  }
  const validator = new CountingValidator();
  const dir = tempDir();
  const stateDir = tempDir();
  write(join(dir, 'a.yaml'), host('a', { image: 'nginx:1.27' }));
  write(join(dir, 'b.yaml'), host('b'));
  const store = new DirectoryStore({ paths: [dir], stateDir, debounceMs: DEBOUNCE, resyncMs: 0, validator });
  try {
    await store.start();
    assert.equal(validator.seen.sort(), ['a', 'b']);
    validator.seen.length = 0;
    // Same length, written in place (same inode) right away: only a's content differs.
    writeFileSync(join(dir, 'a.yaml'), host('a', { image: 'nginx:1.28' }));
    await waitFor('a changed', () => (store.host('default/a')!.spec.containers?.[0]?.image === 'nginx:1.28'));
    assert.equal([...new Set(validator.seen)], ['a'], 'b was not parsed again');
    validator.seen.length = 0;
    // Replaced by rename (as git does) with identical content: a new inode, so parsed again, no change.
    const gen = store.host('default/b')!.metadata.generation;
    write(join(dir, 'b.yaml.new'), host('b'));
    renameSync(join(dir, 'b.yaml.new'), join(dir, 'b.yaml'));
    await waitFor('b parsed again', () => validator.seen.includes('b'));
    assert.is(store.host('default/b')!.metadata.generation, gen);
    rmSync(join(dir, 'a.yaml'));
    await waitFor('a tombstoned', () => store.host('default/a')?.metadata.deletionTimestamp);
  } finally {
    await store.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test.run();
