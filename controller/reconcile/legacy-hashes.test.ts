// Keyed spec hashes (HMAC) and the adoption of the unkeyed hashes earlier releases put on containers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ObservedContainer } from '../../protocol/container.js';
import type { ContainerDecl, SecretData } from '../api/types.js';
import { specHashKey } from '../tokens/spec-hash-key.js';
import { adoptLegacyHashes, showKeyed } from './legacy-hashes.js';
import { resolveContainer } from './resolve.js';

const decl = (extra: Partial<ContainerDecl> = {}): ContainerDecl => ({
  name: 'web', image: 'nginx:1.27', state: 'Running', restartPolicy: 'UnlessStopped', network: 'bridge',
  privileged: false, stopTimeoutSeconds: 10, logging: { maxSize: '10Mi', maxFiles: 3 }, ...extra,
});
const secretOf = (pw: string): SecretData => ({ namespace: 'ns', name: 'db', type: 'Opaque', data: { pw: Buffer.from(pw) } });
const withSecret = decl({ env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] });
const KEY = Buffer.alloc(32, 7);
const resolve = (d: ContainerDecl, pw: string, key?: Buffer) => {
  const r = resolveContainer(d, 'ns', () => secretOf(pw), undefined, key);
  if (!r.ok) throw new Error(r.message);
  return r;
};
const observed = (name: string, specHash: string) => ({ name, specHash, containerID: 'c', image: 'i', state: 'running' }) as unknown as ObservedContainer;

test('a spec without secret inputs hashes the same keyed or not; with one, the keyed hash differs and names the unkeyed one', () => {
  const plain = decl({ env: [{ name: 'A', value: '1' }] });
  assert.is(resolve(plain, 'x', KEY).spec.specHash, resolve(plain, 'x').spec.specHash);
  assert.is(resolve(plain, 'x', KEY).legacySpecHash, undefined);
  const keyed = resolve(withSecret, 'hunter2', KEY);
  const unkeyed = resolve(withSecret, 'hunter2');
  assert.is.not(keyed.spec.specHash, unkeyed.spec.specHash);
  assert.is(keyed.legacySpecHash, unkeyed.spec.specHash);
});

test('an offline guess cannot be tested against a keyed hash without the key', () => {
  const published = resolve(withSecret, 'hunter2', KEY).spec.specHash;
  const guesses = ['hunter2', 'password', 'correct horse'];
  assert.not.ok(guesses.some((g) => resolve(withSecret, g).spec.specHash === published), 'the unkeyed computation of the right guess does not match');
  assert.is.not(resolve(withSecret, 'hunter2', Buffer.alloc(32, 8)).spec.specHash, published, 'another key, another hash');
  assert.is.not(resolve(withSecret, 'hunter3', KEY).spec.specHash, published, 'a secret change still changes it');
});

test('the key is derived from the signing key: stable, 32 bytes, different per signing key', () => {
  const m = (d: string) => ({ kid: 'k', privateJwk: { kty: 'OKP', crv: 'Ed25519', d, x: 'x' }, publicJwk: { kty: 'OKP', crv: 'Ed25519', x: 'x' } });
  const a = specHashKey(m('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
  assert.is(a.length, 32);
  assert.ok(a.equals(specHashKey(m('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))));
  assert.not.ok(a.equals(specHashKey(m('BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'))));
  assert.throws(() => specHashKey({ kid: 'k', privateJwk: {}, publicJwk: {} }), /no private part/);
});

test('a container carrying the unkeyed hash of the same spec is adopted (planned with its own hash), shown keyed', () => {
  const r = resolve(withSecret, 'hunter2', KEY);
  const desired = new Map([['web', r.spec]]);
  const legacy = new Map([['web', r.legacySpecHash!]]);
  const adopted = adoptLegacyHashes(desired, legacy, [observed('web', r.legacySpecHash!)]);
  assert.is(adopted.desired.get('web')!.specHash, r.legacySpecHash, 'planned with the hash the container carries: no recreate');
  assert.equal(showKeyed([{ name: 'web', specHash: r.legacySpecHash }], adopted.keyedFor), [{ name: 'web', specHash: r.spec.specHash }]);
  assert.is(desired.get('web')!.specHash, r.spec.specHash, 'the input is not mutated');
});

test('a container with another hash (the spec changed) or one already keyed is not adopted', () => {
  const r = resolve(withSecret, 'hunter2', KEY);
  const legacy = new Map([['web', r.legacySpecHash!]]);
  const changed = adoptLegacyHashes(new Map([['web', r.spec]]), legacy, [observed('web', 'something-else')]);
  assert.is(changed.desired.get('web')!.specHash, r.spec.specHash, 'recreated with the keyed hash as usual');
  assert.is(changed.keyedFor.size, 0);
  const keyed = adoptLegacyHashes(new Map([['web', r.spec]]), legacy, [observed('web', r.spec.specHash)]);
  assert.is(keyed.desired.get('web')!.specHash, r.spec.specHash);
  assert.is(adoptLegacyHashes(new Map([['web', r.spec]]), legacy, undefined).desired.get('web')!.specHash, r.spec.specHash, 'agent not connected');
});

test.run();
