import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DigestPoller, type DigestResolver } from './digest-poller.js';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

function rig(answers: Record<string, string | Error>) {
  let now = 0;
  const calls: Array<{ image: string; user?: string }> = [];
  const changes: Array<{ owners: string[]; image: string; digest: string }> = [];
  const resolve: DigestResolver = async (image, auth) => {
    calls.push({ image, ...(auth?.username ? { user: auth.username } : {}) });
    const a = answers[image];
    if (a === undefined) throw new Error(`no answer for ${image}`);
    if (a instanceof Error) throw a;
    return a;
  };
  const poller = new DigestPoller({ resolve, now: () => now, onChange: (owners, image, digest) => changes.push({ owners, image, digest }) });
  return { poller, calls, changes, answers, advance: (s: number) => { now += s * 1000; } };
}

test('the first resolution tells every owner; an unchanged digest tells no one', async () => {
  const r = rig({ 'app:1': d('a') });
  r.poller.track('set/ns/a', [{ image: 'app:1', intervalSeconds: 60 }]);
  r.poller.track('host/ns/h', [{ image: 'app:1', intervalSeconds: 60 }]);
  assert.is(r.poller.digest('app:1'), undefined, 'unknown until resolved');
  await r.poller.tick();
  assert.is(r.poller.digest('app:1'), d('a'));
  assert.equal(r.changes, [{ owners: ['host/ns/h', 'set/ns/a'], image: 'app:1', digest: d('a') }]);
  r.advance(60);
  await r.poller.tick();
  assert.is(r.calls.length, 2);
  assert.is(r.changes.length, 1);
});

test('each image is polled at the shortest interval of its owners, not before', async () => {
  const r = rig({ 'app:1': d('a') });
  r.poller.track('a', [{ image: 'app:1', intervalSeconds: 300 }]);
  r.poller.track('b', [{ image: 'app:1', intervalSeconds: 30 }]);
  await r.poller.tick();
  r.advance(29); await r.poller.tick();
  assert.is(r.calls.length, 1, 'not due yet');
  r.advance(1); await r.poller.tick();
  assert.is(r.calls.length, 2);
});

test('a moved tag is a change; a failure keeps the last digest and records the error', async () => {
  const r = rig({ 'app:1': d('a') });
  r.poller.track('a', [{ image: 'app:1', intervalSeconds: 10 }]);
  await r.poller.tick();
  r.answers['app:1'] = new Error('registry down');
  r.advance(10); await r.poller.tick();
  assert.is(r.poller.digest('app:1'), d('a'), 'outage changes nothing');
  assert.is(r.poller.error('app:1'), 'registry down');
  r.answers['app:1'] = d('b');
  r.advance(10); await r.poller.tick();
  assert.is(r.poller.digest('app:1'), d('b'));
  assert.is(r.poller.error('app:1'), undefined);
  assert.equal(r.changes.map((c) => c.digest), [d('a'), d('b')]);
});

test('pinned images are never polled; untracking forgets the image; credentials reach the resolver', async () => {
  const r = rig({ 'reg.lan/app:1': d('a') });
  r.poller.track('a', [{ image: `app@${d('c')}`, intervalSeconds: 10 },
    { image: 'reg.lan/app:1', intervalSeconds: 10, auth: { serveraddress: 'reg.lan', username: 'u', password: 'p' } }]);
  assert.equal(r.poller.watched(), ['reg.lan/app:1']);
  await r.poller.tick();
  assert.equal(r.calls, [{ image: 'reg.lan/app:1', user: 'u' }]);
  r.poller.track('a', []);
  assert.equal(r.poller.watched(), []);
  assert.is(r.poller.digest('reg.lan/app:1'), undefined);
});

test('the interval has a floor so a spec cannot hammer a registry', async () => {
  const r = rig({ 'app:1': d('a') });
  r.poller.track('a', [{ image: 'app:1', intervalSeconds: 1 }]);
  await r.poller.tick();
  r.advance(5); await r.poller.tick();
  assert.is(r.calls.length, 1);
  r.advance(5); await r.poller.tick();
  assert.is(r.calls.length, 2);
});

test('new credentials for an image that failed are tried at once, not an interval later', async () => {
  let now = 0;
  const calls: string[] = [];
  const poller = new DigestPoller({
    now: () => now, onChange: () => undefined,
    resolve: async (image, auth) => { calls.push(auth?.username ?? '-'); if (!auth) throw new Error('wants credentials'); return d('a'); },
  });
  poller.track('set/ns/a', [{ image: 'r.example/app:1', intervalSeconds: 300 }]);
  await poller.tick();
  assert.is(poller.error('r.example/app:1'), 'wants credentials');
  now += 1000;
  await poller.tick();
  assert.equal(calls, ['-'], 'a failure waits its interval');
  poller.track('set/ns/a', [{ image: 'r.example/app:1', intervalSeconds: 300, auth: { serveraddress: 'r.example', username: 'u', password: 'p' } }]);
  await poller.tick();
  assert.equal(calls, ['-', 'u']);
  assert.is(poller.digest('r.example/app:1'), d('a'));
  // Once resolved, a credentials change alone does not poll early.
  poller.track('set/ns/a', [{ image: 'r.example/app:1', intervalSeconds: 300, auth: { serveraddress: 'r.example', username: 'v', password: 'p' } }]);
  await poller.tick();
  assert.is(calls.length, 2);
});

test.run();
