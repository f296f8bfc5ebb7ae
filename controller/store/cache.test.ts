// The shared store cache: sorted lists rebuilt after changes, the tokenByUid index following uid
// changes and deletions, and the two kinds of listener — subscribe() never hears the store's own
// status writes (no reconcile loop), watchAll() does; a throwing listener stops nobody.
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentToken, ContainerHost } from '../api/types.js';
import { StoreCache } from './cache.js';
import type { StoreChange } from './store.js';

const meta = (namespace: string, name: string, uid = `${namespace}-${name}`) => ({ namespace, name, uid, generation: 1, resourceVersion: '1', creationTimestamp: '' });
const host = (ns: string, name: string) => ({ apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: meta(ns, name), spec: {} }) as unknown as ContainerHost;
const token = (ns: string, name: string, uid: string) => ({ apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', metadata: meta(ns, name, uid), spec: {} }) as unknown as AgentToken;

test('lists are sorted by namespace/name and follow changes', () => {
  const cache = new StoreCache(pino({ level: 'silent' }));
  cache.setHost('b/x', host('b', 'x'));
  cache.setHost('a/y', host('a', 'y'));
  assert.equal(cache.hosts().map((h) => h.metadata.name), ['y', 'x']);
  cache.deleteHost('a/y');
  assert.equal(cache.hosts().map((h) => h.metadata.name), ['x']);
  assert.equal(cache.counts, { hosts: 1, tokens: 0, secrets: 0 });
});

test('tokenByUid follows a token re-created with another uid, and its deletion', () => {
  const cache = new StoreCache(pino({ level: 'silent' }));
  cache.setToken('ns/t', token('ns', 't', 'u1'));
  assert.is(cache.tokenByUid('u1')?.metadata.name, 't');
  cache.setToken('ns/t', token('ns', 't', 'u2'));
  assert.is(cache.tokenByUid('u1'), undefined, 'the old uid no longer answers');
  assert.is(cache.tokenByUid('u2')?.metadata.name, 't');
  cache.deleteToken('ns/t');
  assert.is(cache.tokenByUid('u2'), undefined);
  assert.equal(cache.tokens(), []);
});

test('tokensClaiming indexes tokens by namespace and secretName (explicit or default), following spec changes and deletions', () => {
  const cache = new StoreCache(pino({ level: 'silent' }));
  const named = (ns: string, name: string, uid: string, secretName?: string) => ({ ...token(ns, name, uid), spec: secretName ? { secretName } : {} }) as unknown as AgentToken;
  cache.setToken('ns/a', named('ns', 'a', 'ua'));                       // default: a-agent-token
  cache.setToken('ns/b', named('ns', 'b', 'ub', 'a-agent-token'));      // claims a's default name
  cache.setToken('other/a', named('other', 'a', 'uo'));                 // same name, other namespace
  const claim = (ns: string, secret: string) => cache.tokensClaiming(ns, secret).map((t) => t.metadata.uid).sort();
  assert.equal(claim('ns', 'a-agent-token'), ['ua', 'ub']);
  assert.equal(claim('other', 'a-agent-token'), ['uo']);
  cache.setToken('ns/b', named('ns', 'b', 'ub', 'mine'));                // b renames its Secret
  assert.equal(claim('ns', 'a-agent-token'), ['ua']);
  assert.equal(claim('ns', 'mine'), ['ub']);
  cache.deleteToken('ns/a');
  assert.equal(claim('ns', 'a-agent-token'), []);
  assert.equal(claim('ns', 'nothing'), []);
});

test('subscribe() hears changes only; watchAll() also hears own status writes; a throwing listener stops nobody', () => {
  const cache = new StoreCache(pino({ level: 'silent' }));
  const reconciler: string[] = [];
  const page: string[] = [];
  cache.subscribe(() => { throw new Error('boom'); });
  const off = cache.subscribe((c: StoreChange) => reconciler.push(`${c.kind} ${c.key}`));
  cache.watchAll((c: StoreChange) => page.push(`${c.kind} ${c.key}`));
  cache.changed({ kind: 'ContainerHost', key: 'ns/a' });
  cache.wroteStatus({ kind: 'ContainerHost', key: 'ns/a' });
  assert.equal(reconciler, ['ContainerHost ns/a']);
  assert.equal(page, ['ContainerHost ns/a', 'ContainerHost ns/a']);
  off();
  cache.changed({ kind: 'Secret', key: 'ns/s' });
  assert.equal(reconciler, ['ContainerHost ns/a']);
  assert.equal(page.at(-1), 'Secret ns/s');
});

test.run();
