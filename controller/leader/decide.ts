// The pure half of leader election (see README.md): given what the Lease says, when this process
// last saw it change, and the local clock, decide what to do. No I/O, no timers, no wall clock —
// every time here is a reading of ONE local monotonic clock (milliseconds), never a timestamp
// written by another machine.
import type { LeaseRecord } from '../kube/lease-client.js';

// The record is the Lease client's (what it reads and writes); re-exported for the elector.
export type { LeaseRecord };

/** When this process last saw the record change (by its own clock), and what it saw. */
export interface Observation {
  /** `recordKey(record)` of the record seen. */
  key: string;
  /** Local monotonic time (ms) at which the record was first seen in this form. */
  observedAt: number;
  record: LeaseRecord;
}

export type Decision =
  /** No Lease yet: create it naming us. */
  | { action: 'create' }
  /** Held by nobody, or by someone whose lease ran out in our eyes: take it over (PUT with the read resourceVersion). */
  | { action: 'acquire'; reason: 'released' | 'expired'; previousHolder?: string }
  /** Held by us: renew it. */
  | { action: 'renew' }
  /** Held by someone else and still valid: try again later. */
  | { action: 'wait'; holder: string; expiresInMs: number }
  /** We believed we led, but the Lease names someone else (or nobody): step down at once. */
  | { action: 'lost'; holder: string | undefined };

/** A stable string for "did the record change?" — like client-go, compares the whole record. */
export function recordKey(r: LeaseRecord): string {
  return JSON.stringify([r.holderIdentity ?? '', r.leaseDurationSeconds ?? null, r.acquireTime ?? '', r.renewTime ?? '', r.leaseTransitions ?? null]);
}

/**
 * Folds a freshly read record into the previous observation. The observation time only moves when
 * the record changed: a holder that stops renewing stops moving it, and its lease runs out
 * `leaseDuration` after we last saw it change — no matter what its clock wrote into renewTime.
 */
export function observe(prev: Observation | undefined, record: LeaseRecord, now: number): Observation {
  const key = recordKey(record);
  if (prev && prev.key === key) return prev;
  return { key, observedAt: now, record };
}

/** The lease duration a holder claimed, in ms; `fallbackMs` when absent or nonsensical. */
export function leaseDurationMsOf(record: LeaseRecord, fallbackMs: number): number {
  const s = record.leaseDurationSeconds;
  return typeof s === 'number' && Number.isFinite(s) && s > 0 ? s * 1000 : fallbackMs;
}

/** True when the observed lease has run out at `now` (local clock). */
export function isExpired(obs: Observation, now: number, fallbackDurationMs: number): boolean {
  return now >= obs.observedAt + leaseDurationMsOf(obs.record, fallbackDurationMs);
}

export interface DecideInput {
  identity: string;
  /** Whether this process currently believes it leads. */
  leading: boolean;
  /** The current observation of the Lease; undefined when the Lease does not exist. */
  observation: Observation | undefined;
  now: number;
  /** Used when the record carries no leaseDurationSeconds. */
  leaseDurationMs: number;
}

export function decide(input: DecideInput): Decision {
  const { identity, leading, observation: obs, now } = input;
  if (!obs) return leading ? { action: 'lost', holder: undefined } : { action: 'create' };
  const holder = obs.record.holderIdentity ?? '';
  if (holder === identity) return { action: 'renew' };
  // Someone (an admin, or a peer after our lease ran out) changed it under us: not ours any more.
  if (leading) return { action: 'lost', holder: holder || undefined };
  if (holder === '') return { action: 'acquire', reason: 'released' };
  const expiresAt = obs.observedAt + leaseDurationMsOf(obs.record, input.leaseDurationMs);
  if (now >= expiresAt) return { action: 'acquire', reason: 'expired', previousHolder: holder };
  return { action: 'wait', holder, expiresInMs: expiresAt - now };
}

/**
 * The leader's own bound. `lastRenewStartedAt` is when the last SUCCESSFUL acquire/renew request was
 * sent (not answered): the apiserver stored it no earlier than that, so every peer's observation of
 * it is no earlier either, and no peer takes over before `lastRenewStartedAt + leaseDuration`.
 * Stepping down at `lastRenewStartedAt + renewDeadline` (< leaseDuration) keeps the two apart.
 */
export function leadershipValid(lastRenewStartedAt: number | undefined, now: number, renewDeadlineMs: number): boolean {
  return lastRenewStartedAt !== undefined && now < lastRenewStartedAt + renewDeadlineMs;
}

/** The record to write for `create`/`acquire`/`renew`. `wallNow` is only written, never compared. */
export function nextRecord(action: 'create' | 'acquire' | 'renew', prev: LeaseRecord | undefined, identity: string, leaseDurationMs: number, wallNow: string): LeaseRecord {
  const leaseDurationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
  if (action === 'renew' && prev) {
    return {
      holderIdentity: identity, leaseDurationSeconds,
      acquireTime: prev.acquireTime ?? wallNow, renewTime: wallNow,
      leaseTransitions: prev.leaseTransitions ?? 0,
    };
  }
  return {
    holderIdentity: identity, leaseDurationSeconds, acquireTime: wallNow, renewTime: wallNow,
    leaseTransitions: action === 'create' || !prev ? 0 : (prev.leaseTransitions ?? 0) + 1,
  };
}

/** What a leader writes on a clean shutdown: nobody holds it, and the 1 s duration ends any doubt. */
export function releasedRecord(prev: LeaseRecord, wallNow: string): LeaseRecord {
  return { leaseDurationSeconds: 1, acquireTime: wallNow, renewTime: wallNow, leaseTransitions: prev.leaseTransitions ?? 0 };
}

export interface TimingOptions { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number }

/** Jitter: a waiting candidate sleeps retryPeriod × [1, 1 + JITTER). */
export const JITTER = 0.2;

/** Throws unless leaseDuration > renewDeadline > retryPeriod × (1 + JITTER) > 0 (client-go's rule). */
export function validateTimings(t: TimingOptions): void {
  const { leaseDurationMs: l, renewDeadlineMs: d, retryPeriodMs: r } = t;
  if (![l, d, r].every((v) => Number.isFinite(v) && v > 0)) throw new Error(`leader election timings must be positive numbers (lease ${l}, renew ${d}, retry ${r})`);
  if (l % 1000 !== 0) throw new Error(`leaseDurationMs must be whole seconds (the Lease stores seconds), got ${l}`);
  if (!(l > d)) throw new Error(`leaseDurationMs (${l}) must be greater than renewDeadlineMs (${d})`);
  if (!(d > r * (1 + JITTER))) throw new Error(`renewDeadlineMs (${d}) must be greater than retryPeriodMs × ${1 + JITTER} (${r * (1 + JITTER)})`);
}
