// DirectoryStore against real files in temporary directories (no mocks). Watch-driven changes are
// awaited with bounded polls; "nothing happened" is proven with a barrier: a change to another file
// whose event can only arrive after a full re-scan that also saw the change under test.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../../../test/support/wait.js';
import type { AgentToken } from '../../api/types.js';
import { ResourceValidator } from '../../api/validate.js';
import { DirectoryStore } from './dir-store.js';
import type { SigningKeyMaterial, StoreChange } from '../store.js';

const DEBOUNCE = 30;

function tempDir(): string { return mkdtempSync(join(tmpdir(), 'berth-dir-store-')); }

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function host(name: string, opts: { namespace?: string; image?: string; annotations?: string; comment?: string } = {}): string {
  return [
    opts.comment ? `# ${opts.comment}` : '',
    'apiVersion: berth.dev/v1alpha1',
    'kind: ContainerHost',
    'metadata:',
    `  name: ${name}`,
    opts.namespace ? `  namespace: ${opts.namespace}` : '',
    opts.annotations ? `  annotations: ${opts.annotations}` : '',
    'spec:',
    '  containers:',
    '  - name: web',
    `    image: ${opts.image ?? 'nginx:1.27'}`,
    '',
  ].filter((l, i, all) => l !== '' || i === all.length - 1).join('\n');
}

function token(name: string, hostName = name, namespace?: string): string {
  return `apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  hostRef: { name: ${hostName} }\n`;
}

const waitFor = <T>(what: string, check: () => T | undefined | false | null, timeoutMs = 5000) => until(what, check, timeoutMs);

interface Harness {
  dir: string; stateDir: string; store: DirectoryStore;
  /** Events emitted by start() (the first view), and events after it. */
  startEvents: string[]; events: string[]; barrier(): Promise<void>; stop(): Promise<void> }

let barriers = 0;
async function open(dir: string, stateDir: string, paths: string[] = [dir]): Promise<Harness> {
  const store = new DirectoryStore({ paths, stateDir, debounceMs: DEBOUNCE, resyncMs: 0 });
  const events: string[] = [];
  store.subscribe((e: StoreChange) => { if (e.key !== 'default/zz-barrier') events.push(`${e.kind} ${e.key}`); });
  await store.start();
  const startEvents = events.splice(0);
  return {
    dir, stateDir, store, events, startEvents,
    /** Resolves once a full re-scan has run after everything written so far. */
    async barrier() {
      const n = String(++barriers);
      write(join(dir, 'zz-barrier.yaml'), `apiVersion: v1\nkind: Secret\nmetadata: { name: zz-barrier }\nstringData: { n: "${n}" }\n`);
      await waitFor('barrier', () => store.secret('default', 'zz-barrier')?.data.n?.toString() === n);
    },
    stop: () => store.stop(),
  };
}

async function withStore(fn: (h: Harness) => Promise<void>, setup?: (dir: string) => void): Promise<void> {
  // setup writes the manifests the store finds at start.
  const dir = tempDir();
  const stateDir = tempDir();
  setup?.(dir);
  const h = await open(dir, stateDir);
  try { await fn(h); } finally { await h.stop(); rmSync(dir, { recursive: true, force: true }); rmSync(stateDir, { recursive: true, force: true }); }
}

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
