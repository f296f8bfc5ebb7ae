import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerDecl } from '../../protocol/resources.js';
import type { ImageDigests } from './digest-poller.js';
import { imagesToWatch, pinTemplate } from './pin-template.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const c = (name: string, image: string): ContainerDecl => ({ name, image } as ContainerDecl);
const table = (known: Record<string, string>, errors: Record<string, string> = {}): ImageDigests =>
  ({ digest: (i) => known[i], error: (i) => errors[i] });

test('every tag is pinned to its digest; a pinned image stays as written', () => {
  const r = pinTemplate([c('web', 'reg/app:1'), c('db', `pg@${d('f')}`)], table({ 'reg/app:1': d('a') }));
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.containers.map((x) => x.image), [`reg/app:1@${d('a')}`, `pg@${d('f')}`]);
});

test('an unresolved tag holds the template, with the last error when there is one', () => {
  const r = pinTemplate([c('a', 'x:1'), c('b', 'y:1'), c('c', 'x:1')], table({}, { 'y:1': 'registry down' }));
  assert.not.ok(r.ok);
  if (!r.ok) {
    assert.equal(r.waiting, ['x:1', 'y:1']);
    assert.is(r.message, 'waiting for image digests: x:1: digest not resolved yet; y:1: registry down');
  }
});

test('images to watch: unique, sorted, without pinned ones', () => {
  assert.equal(imagesToWatch([c('a', 'b:1'), c('b', 'a:1'), c('c', 'b:1'), c('d', `p@${d('1')}`)]), ['a:1', 'b:1']);
});

test.run();
