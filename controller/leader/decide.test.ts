// The pure decisions of leader election: no I/O, no timers; every time is a number on one local clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decide, isExpired, leadershipValid, nextRecord, observe, recordKey, releasedRecord, validateTimings,
  type LeaseRecord, type Observation,
} from './decide.js';

const ME = 'me_1';
const OTHER = 'other_2';
const LEASE_MS = 15_000;
const held = (holder: string, extra: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: '2030-01-01T00:00:00.000000Z',
  renewTime: '2030-01-01T00:00:10.000000Z', leaseTransitions: 3, ...extra,
});
const seen = (record: LeaseRecord, observedAt: number): Observation => observe(undefined, record, observedAt);
const at = (observation: Observation | undefined, now: number, leading = false) =>
  decide({ identity: ME, leading, observation, now, leaseDurationMs: LEASE_MS });

test('no Lease: a candidate creates it; a leader whose Lease vanished has lost it', () => {
  assert.equal(at(undefined, 0), { action: 'create' });
  assert.equal(at(undefined, 0, true), { action: 'lost', holder: undefined });
});

test('held by another and valid: wait, with the time left by OUR clock', () => {
  const obs = seen(held(OTHER), 1_000);
  assert.equal(at(obs, 1_000), { action: 'wait', holder: OTHER, expiresInMs: 15_000 });
  assert.equal(at(obs, 15_999), { action: 'wait', holder: OTHER, expiresInMs: 1 });
});

test('held by another and expired (leaseDuration after we last saw it change): acquire', () => {
  const obs = seen(held(OTHER), 1_000);
  assert.equal(at(obs, 16_000), { action: 'acquire', reason: 'expired', previousHolder: OTHER });
  assert.ok(isExpired(obs, 16_000, LEASE_MS));
  assert.not.ok(isExpired(obs, 15_999, LEASE_MS));
});

test("the holder's own leaseDurationSeconds decides expiry, not ours", () => {
  const obs = seen(held(OTHER, { leaseDurationSeconds: 40 }), 0);
  assert.is(at(obs, 39_999).action, 'wait');
  assert.is(at(obs, 40_000).action, 'acquire');
  // A record without a duration falls back to our own.
  const bare = seen({ holderIdentity: OTHER }, 0);
  assert.is(at(bare, 14_999).action, 'wait');
  assert.is(at(bare, 15_000).action, 'acquire');
});

test('remote timestamps are never compared with our clock (clock skew does not matter)', () => {
  // renewTime far in the past (a slow remote clock) or far in the future: only observedAt counts.
  for (const renewTime of ['1999-01-01T00:00:00.000000Z', '2999-01-01T00:00:00.000000Z']) {
    const obs = seen(held(OTHER, { renewTime }), 5_000);
    assert.is(at(obs, 5_001).action, 'wait', renewTime);
    assert.is(at(obs, 20_000).action, 'acquire', renewTime);
  }
});

test('observation time moves only when the record changes', () => {
  const first = observe(undefined, held(OTHER), 1_000);
  const same = observe(first, held(OTHER), 9_000);
  assert.is(same, first, 'unchanged record keeps the original observation');
  assert.is(same.observedAt, 1_000);
  const renewed = observe(same, held(OTHER, { renewTime: '2030-01-01T00:00:12.000000Z' }), 9_000);
  assert.is(renewed.observedAt, 9_000, 'a renewal restarts the clock');
  assert.is(at(renewed, 23_999).action, 'wait');
  assert.is(at(renewed, 24_000).action, 'acquire');
  assert.is.not(recordKey(held(OTHER)), recordKey(held(OTHER, { leaseTransitions: 4 })));
});

test('a first sighting of a stale Lease still waits a full lease duration (we cannot know how old it is)', () => {
  const obs = seen(held(OTHER, { renewTime: '2000-01-01T00:00:00.000000Z' }), 100_000);
  assert.is(at(obs, 100_001).action, 'wait');
  assert.is(at(obs, 115_000).action, 'acquire');
});

test('released Lease (no holder): acquire at once, whatever its duration says', () => {
  const released = releasedRecord(held(OTHER), '2030-01-01T00:01:00.000000Z');
  assert.is(released.holderIdentity, undefined);
  assert.is(released.leaseDurationSeconds, 1);
  assert.is(released.leaseTransitions, 3, 'release keeps the transition count');
  assert.equal(at(seen(released, 0), 0), { action: 'acquire', reason: 'released' });
  assert.equal(at(seen({ holderIdentity: '' }, 0), 0), { action: 'acquire', reason: 'released' });
});

test('held by us: renew — whether or not we currently believe we lead', () => {
  const obs = seen(held(ME), 0);
  assert.equal(at(obs, 1, true), { action: 'renew' });
  // E.g. after stepping down on the renew deadline: the Lease still names us, nobody took it.
  assert.equal(at(obs, 1, false), { action: 'renew' });
  // Even when it looks expired: nobody else wrote it, and the write carries the resourceVersion.
  assert.equal(at(obs, 60_000, false), { action: 'renew' });
});

test('a leader that finds another holder (or none) has lost, even if that lease looks valid', () => {
  assert.equal(at(seen(held(OTHER), 0), 1, true), { action: 'lost', holder: OTHER });
  assert.equal(at(seen({ leaseDurationSeconds: 1 }, 0), 1, true), { action: 'lost', holder: undefined });
});

test('renew deadline: leadership holds strictly before lastRenewSentAt + renewDeadline', () => {
  assert.ok(leadershipValid(1_000, 1_000, 10_000));
  assert.ok(leadershipValid(1_000, 10_999, 10_000));
  assert.not.ok(leadershipValid(1_000, 11_000, 10_000));
  assert.not.ok(leadershipValid(undefined, 0, 10_000), 'never renewed: not leading');
});

test('nextRecord: create starts at 0 transitions; acquire bumps them and resets acquireTime; renew keeps both', () => {
  const t = '2030-02-02T00:00:00.000000Z';
  assert.equal(nextRecord('create', undefined, ME, 15_000, t),
    { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 0 });
  assert.equal(nextRecord('acquire', held(OTHER), ME, 15_000, t),
    { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: t, renewTime: t, leaseTransitions: 4 });
  const mine = held(ME);
  assert.equal(nextRecord('renew', mine, ME, 15_000, t),
    { holderIdentity: ME, leaseDurationSeconds: 15, acquireTime: mine.acquireTime, renewTime: t, leaseTransitions: 3 });
  assert.is(nextRecord('acquire', {}, ME, 3_000, t).leaseTransitions, 1);
  assert.is(nextRecord('create', undefined, ME, 3_000, t).leaseDurationSeconds, 3);
});

test('timings: lease > renew deadline > retry × 1.2, whole-second lease', () => {
  validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 });
  validateTimings({ leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 500 });
  assert.throws(() => validateTimings({ leaseDurationMs: 10_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 }), /greater than renewDeadlineMs/);
  assert.throws(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 2_400, retryPeriodMs: 2_000 }), /retryPeriodMs/);
  assert.throws(() => validateTimings({ leaseDurationMs: 2_500, renewDeadlineMs: 2_000, retryPeriodMs: 500 }), /whole seconds/);
  assert.throws(() => validateTimings({ leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 0 }), /positive/);
});

test.run();
