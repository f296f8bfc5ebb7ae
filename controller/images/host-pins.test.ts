import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ObservedContainer } from '../../protocol/container.js';
import type { ContainerDecl, ContainerHost } from '../api/types.js';
import type { ImageDigests } from './digest-poller.js';
import { followed, pinHostImages } from './host-pins.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const decl = (name: string, image: string, extra: Partial<ContainerDecl> = {}): ContainerDecl => ({ name, image, ...extra } as ContainerDecl);
const hostWith = (containers: ContainerDecl[], policy: 'Poll' | 'None' | 'absent' = 'Poll'): ContainerHost => ({
  metadata: { namespace: 'ns', name: 'h', uid: 'u', generation: 1 },
  spec: { paused: false, removalPolicy: 'Delete', policy: {}, containers, ...(policy !== 'absent' ? { imageUpdates: { policy, intervalSeconds: 60 } } : {}) },
} as unknown as ContainerHost);
const table = (known: Record<string, string>, errors: Record<string, string> = {}): ImageDigests => ({ digest: (i) => known[i], error: (i) => errors[i] });
const seen = (name: string, image: string): ObservedContainer => ({ name, image } as ObservedContainer);
const noAuth = () => undefined;

test('only Always-pulled, unpinned containers of a Poll host are followed', () => {
  const h = hostWith([decl('a', 'reg/app:latest'), decl('b', 'reg/app:1'), decl('c', 'reg/app:1', { imagePullPolicy: 'Always' }), decl('d', `reg/x@${d('1')}`)]);
  assert.equal(followed(h).map((c) => c.name), ['a', 'c']);
  assert.equal(followed(hostWith([decl('a', 'reg/app')], 'None')), []);
  assert.equal(followed(hostWith([decl('a', 'reg/app')], 'absent')), []);
});

test('a known digest pins the image; the variant names the pins; nothing followed leaves the host as it is', () => {
  const h = hostWith([decl('web', 'reg/app:1', { imagePullPolicy: 'Always' }), decl('db', 'pg:16')]);
  const p = pinHostImages(h, table({ 'reg/app:1': d('a') }), [], noAuth);
  assert.equal(p.host.spec.containers!.map((c) => c.image), [`reg/app:1@${d('a')}`, 'pg:16']);
  assert.is(p.variant, `web=reg/app:1@${d('a')}`);
  assert.equal(p.watch, [{ image: 'reg/app:1', intervalSeconds: 60 }]);
  assert.is(p.pending.size, 0);
  const none = hostWith([decl('db', 'pg:16')]);
  assert.is(pinHostImages(none, table({}), [], noAuth).host, none);
});

test('after a restart the digest the container runs stands in until the poller answers: no recreate', () => {
  const h = hostWith([decl('web', 'reg/app:1', { imagePullPolicy: 'Always' })]);
  const p = pinHostImages(h, table({}), [seen('web', `reg/app:1@${d('b')}`)], noAuth);
  assert.is(p.host.spec.containers![0]!.image, `reg/app:1@${d('b')}`);
  assert.is(p.pending.size, 0);
  const moved = pinHostImages(h, table({ 'reg/app:1': d('c') }), [seen('web', `reg/app:1@${d('b')}`)], noAuth);
  assert.is(moved.host.spec.containers![0]!.image, `reg/app:1@${d('c')}`, 'the poller wins once it knows');
});

test('no digest and nothing running from a pin: held with the reason', () => {
  const h = hostWith([decl('web', 'reg/app:1', { imagePullPolicy: 'Always' })]);
  const p = pinHostImages(h, table({}, { 'reg/app:1': 'registry down' }), [seen('web', 'reg/app:1')], noAuth);
  assert.equal([...p.pending], [['web', 'ImageDigestPending: reg/app:1: cannot resolve its digest: registry down']]);
  assert.is(p.host.spec.containers![0]!.image, 'reg/app:1');
});

test('credentials for the watch come from the lookup', () => {
  const h = hostWith([decl('web', 'reg/app:1', { imagePullPolicy: 'Always' })]);
  const p = pinHostImages(h, table({}), [], () => ({ serveraddress: 'reg', username: 'u', password: 'p' }));
  assert.equal(p.watch[0]!.auth, { serveraddress: 'reg', username: 'u', password: 'p' });
});

test.run();
