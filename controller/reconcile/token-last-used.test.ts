import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LastUsedRecorder, type TokenUse } from './token-last-used.js';

const T0 = Date.parse('2026-12-01T12:00:00Z');

function harness(tokens: Map<string, TokenUse>, opts: { concurrency?: number } = {}) {
  let t = T0;
  const writes: { uid: string; at: string }[] = [];
  const inFlight: Array<() => void> = [];
  let hold = false;
  const rec = new LastUsedRecorder({
    lookup: (uid) => tokens.get(uid),
    write: (uid, at) => {
      writes.push({ uid, at });
      const token = tokens.get(uid);
      if (token) token.lastUsedAt = at;
      return hold ? new Promise<void>((r) => inFlight.push(r)) : Promise.resolve();
    },
    now: () => t,
    setTimer: () => 1,   // flushes are driven by the test
    clearTimer: () => undefined,
    ...opts,
  });
  return {
    rec, writes, inFlight,
    at: (ms: number) => { t = T0 + ms; },
    hold: (on: boolean) => { hold = on; },
  };
}

test('a first use right after the token was issued is folded into the next minute, not written at once', () => {
  const tokens = new Map<string, TokenUse>([['u1', { issuedAt: '2026-12-01T12:00:00Z' }]]);
  const h = harness(tokens);
  h.at(3_000); h.rec.used('u1');
  h.rec.flush();
  assert.is(h.writes.length, 0, 'no second status write seconds after the issue write');
  h.at(59_000); h.rec.flush();
  assert.is(h.writes.length, 0);
  h.at(60_000); h.rec.flush();
  assert.equal(h.writes, [{ uid: 'u1', at: '2026-12-01T12:00:03Z' }], 'then written once, with the time of the use');
});

test('a use while the issue write is still in flight (no issuedAt in the store yet) waits for the issue, then its minute', () => {
  const tokens = new Map<string, TokenUse>([['u1', {}]]);
  const h = harness(tokens);
  h.rec.used('u1');
  h.at(5_000); h.rec.flush();
  assert.is(h.writes.length, 0, 'nothing written from a status without the issue: it would undo the issue write');
  assert.is(h.rec.waiting, 1, 'the use is kept');
  tokens.get('u1')!.issuedAt = '2026-12-01T12:00:06Z';   // the issue write landed
  h.at(7_000); h.rec.flush();
  assert.is(h.writes.length, 0, 'folded into the minute after the issue');
  h.at(66_000); h.rec.flush();
  assert.equal(h.writes, [{ uid: 'u1', at: '2026-12-01T12:00:00Z' }]);
});

test('uses within the minute become one write carrying the latest time; a token used long ago is written at once', async () => {
  const tokens = new Map<string, TokenUse>([['u1', { issuedAt: '2026-11-01T00:00:00Z', lastUsedAt: '2026-12-01T11:00:00Z' }]]);
  const h = harness(tokens);
  h.rec.used('u1');
  h.rec.flush();
  assert.equal(h.writes, [{ uid: 'u1', at: '2026-12-01T12:00:00Z' }]);
  await new Promise((r) => setImmediate(r));   // that write finished
  h.at(10_000); h.rec.used('u1');
  h.at(20_000); h.rec.used('u1');
  h.rec.flush();
  assert.is(h.writes.length, 1, 'at most once a minute');
  h.at(60_000); h.rec.flush();
  assert.equal(h.writes[1], { uid: 'u1', at: '2026-12-01T12:00:20Z' });
  assert.is(h.rec.waiting, 0);
});

test('a reconnecting fleet writes at most `concurrency` at a time', async () => {
  const tokens = new Map<string, TokenUse>();
  for (let i = 0; i < 100; i++) tokens.set(`u${i}`, { issuedAt: '2026-11-01T00:00:00Z' });
  const h = harness(tokens, { concurrency: 2 });
  h.hold(true);
  for (let i = 0; i < 100; i++) h.rec.used(`u${i}`);
  h.rec.flush();
  assert.is(h.writes.length, 2);
  h.rec.flush();
  assert.is(h.writes.length, 2, 'none more while two are in flight');
  h.inFlight.splice(0).forEach((r) => r());
  await new Promise((r) => setImmediate(r));
  h.rec.flush();
  assert.is(h.writes.length, 4);
  assert.is(h.rec.waiting, 96);
});

test('a deleted token, or one already recorded by another replica, is not written; stop() drops the rest', () => {
  const tokens = new Map<string, TokenUse>([['u1', { issuedAt: '2026-11-01T00:00:00Z' }], ['u2', { issuedAt: '2026-11-01T00:00:00Z', lastUsedAt: '2026-12-01T12:00:05Z' }]]);
  const h = harness(tokens);
  h.rec.used('u1'); h.rec.used('u2'); h.rec.used('gone');
  tokens.delete('u1');
  h.rec.flush();
  assert.is(h.writes.length, 0);
  assert.is(h.rec.waiting, 0);
  tokens.set('u3', { issuedAt: '2026-11-01T00:00:00Z' });
  h.rec.stop();
  h.rec.used('u3'); h.rec.flush();
  assert.is(h.writes.length, 0);
});

test.run();
