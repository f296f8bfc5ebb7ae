// Lease leader election (DESIGN §5), after client-go's leaderelection: one coordination.k8s.io/v1
// Lease, optimistic concurrency on its resourceVersion, expiry judged by the LOCAL time at which we
// saw the record change (never by the timestamps other machines wrote). The decisions are pure
// functions in decide.ts; this file is the loop, the timers and the callbacks. See README.md.
//
// Invariants:
//  - isLeader() is true only while `now < lastSuccessfulRenewSentAt + renewDeadline`; it checks the
//    clock itself, so a stuck request or a late timer can never stretch leadership.
//  - onStartedLeading/onStoppedLeading alternate strictly, starting with onStartedLeading; every
//    onStartedLeading is followed by exactly one onStoppedLeading (at the latest from stop()/abandon()).
//  - Callback exceptions are logged and swallowed; the loop never throws.
//  - Every request is bounded (renewDeadline) and aborted by stop()/abandon().
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { KubeConfig } from '../kube/config.js';
import { pino, type Logger } from 'pino';
import {
  decide, JITTER, leadershipValid, nextRecord, observe, releasedRecord, validateTimings,
  type Observation,
} from './decide.js';
import { describeError, KubeLeaseClient, LeaseConflictError, microTime, type LeaseClient, type LeaseSnapshot } from '../kube/lease-client.js';

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;

export interface LeaderElectorOptions {
  /** Where the Lease lives. Required unless `client` is given. */
  kubeConfig?: KubeConfig;
  namespace: string;
  /** The Lease's name, e.g. `berth-controller`. */
  name: string;
  /** Unique per process. Default `<hostname>_<random hex>`. */
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  logger?: Logger;
  /** Called (synchronously, from the loop) when this process becomes the leader. */
  onStartedLeading(): void;
  /** Called when it stops being the leader: lost, renew deadline passed, stop() or abandon(). */
  onStoppedLeading(): void;
  /** A local monotonic clock in ms. Default `timers.now`, else `performance.now()` (immune to wall-clock steps). */
  now?: () => number;
  /**
   * The clock and timers the loop waits on: retry sleeps, the renew-deadline timer and the bound on
   * each request. Default the real ones; a test passes a fake clock so no assertion depends on how
   * fast a loaded machine runs timers.
   */
  timers?: ElectorTimers;
  /** The Lease I/O; default a `KubeLeaseClient` on `kubeConfig`. */
  client?: LeaseClient;
  /** Jitter source in [0, 1). Default Math.random. */
  random?: () => number;
}

/** For /metrics and /readyz: who leads as far as this process knows. */
export interface LeaderState {
  leader: boolean;
  /** holderIdentity of the Lease as last seen (undefined: none, released, or not read yet). */
  holder: string | undefined;
  identity: string;
}

/** A clock with timers; `realTimers` is the default. Handles are opaque to the elector. */
export interface ElectorTimers {
  now(): number;
  /**
   * The wall clock written into renewTime/acquireTime (never compared, but peers see a renewal as
   * the record CHANGING, so successive writes must differ — a fake clock must move this one too).
   * Default `new Date()`.
   */
  wallNow?(): Date;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: ElectorTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

type Phase = 'new' | 'running' | 'stopping' | 'stopped';

export function defaultIdentity(): string {
  return `${hostname()}_${randomBytes(4).toString('hex')}`;
}

export class LeaderElector {
  readonly identity: string;
  readonly namespace: string;
  readonly name: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;

  private readonly client: LeaseClient;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly timers: ElectorTimers;
  private readonly random: () => number;
  private readonly onStarted: () => void;
  private readonly onStopped: () => void;

  private phase: Phase = 'new';
  private readonly stopController = new AbortController();
  private loop: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private leading = false;
  /** When the last successful create/acquire/renew request was SENT (local clock). */
  private lastRenewSentAt: number | undefined;
  private deadlineTimer: unknown;
  private observation: Observation | undefined;
  private lastLoggedHolder: string | undefined = '\0';
  private failures = 0;

  constructor(opts: LeaderElectorOptions) {
    this.namespace = opts.namespace;
    this.name = opts.name;
    this.identity = opts.identity ?? defaultIdentity();
    this.leaseDurationMs = opts.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
    this.renewDeadlineMs = opts.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
    this.retryPeriodMs = opts.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
    validateTimings(this);
    if (!this.identity) throw new Error('leader election identity must not be empty');
    if (opts.client) this.client = opts.client;
    else if (opts.kubeConfig) this.client = new KubeLeaseClient(opts.kubeConfig, opts.namespace, opts.name);
    else throw new Error('LeaderElector needs kubeConfig (or client)');
    this.timers = opts.timers ?? realTimers;
    this.now = opts.now ?? (() => this.timers.now());
    this.random = opts.random ?? Math.random;
    this.onStarted = opts.onStartedLeading;
    this.onStopped = opts.onStoppedLeading;
    this.log = (opts.logger ?? pino({ level: 'silent' })).child({
      component: 'leader-election', lease: `${opts.namespace}/${opts.name}`, identity: this.identity,
    });
  }

  /** Starts campaigning. Idempotent while running; an elector is single-use (no start after stop). */
  start(): void {
    if (this.phase === 'running') return;
    if (this.phase !== 'new') throw new Error('LeaderElector cannot be restarted after stop(); create a new one');
    this.phase = 'running';
    this.log.info({ leaseDurationMs: this.leaseDurationMs, renewDeadlineMs: this.renewDeadlineMs, retryPeriodMs: this.retryPeriodMs }, 'leader election started');
    this.loop = this.run();
  }

  /**
   * Stops campaigning. When leading: stops leading locally first (isLeader() false, then
   * onStoppedLeading), THEN releases the Lease (holder cleared, duration 1 s) so a peer takes over
   * on its next retry instead of waiting out the lease. The release is best effort and bounded.
   */
  stop(): Promise<void> {
    return this.shutdown(true);
  }

  /**
   * Stops campaigning WITHOUT releasing the Lease — what a crash looks like from outside (peers
   * wait for the lease to run out). Locally it steps down like stop(). Meant for tests and for
   * shutdowns that must not touch the apiserver.
   */
  abandon(): Promise<void> {
    return this.shutdown(false);
  }

  /** True while this process holds the Lease and its last renewal is within the renew deadline. */
  isLeader(): boolean {
    return this.leading && leadershipValid(this.lastRenewSentAt, this.now(), this.renewDeadlineMs);
  }

  leaderState(): LeaderState {
    return { leader: this.isLeader(), holder: this.observation?.record.holderIdentity, identity: this.identity };
  }

  // ---- the loop -------------------------------------------------------------------------------

  private async run(): Promise<void> {
    const stop = this.stopController.signal;
    while (!stop.aborted) {
      const sentAt = this.now();
      let renewed = false;
      try {
        renewed = await this.tryAcquireOrRenew();
      } catch (err) {
        // tryAcquireOrRenew handles its own errors; this is a bug guard so the loop never dies.
        this.log.error({ err }, 'leader election attempt failed unexpectedly');
      }
      if (stop.aborted) break;
      // A success only counts if it came back within the deadline it would grant (event-loop stalls).
      if (renewed && leadershipValid(sentAt, this.now(), this.renewDeadlineMs)) {
        this.lastRenewSentAt = sentAt;
        if (!this.leading) this.becomeLeader();
        this.armDeadline();
      } else if (this.leading && !leadershipValid(this.lastRenewSentAt, this.now(), this.renewDeadlineMs)) {
        this.stepDown('renew deadline passed without a successful renewal');
      }
      const wait = this.leading ? this.retryPeriodMs : this.retryPeriodMs * (1 + this.random() * JITTER);
      await this.sleep(wait, stop);
    }
  }

  /** One round: read, decide, write. True when the Lease names us as of a write sent this round. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const bound = this.timeout(this.renewDeadlineMs);
    const signal = AbortSignal.any([this.stopController.signal, bound.signal]);
    try {
      const snap = await this.client.get(signal);
      const now = this.now();
      this.observation = snap ? observe(this.observation, snap.record, now) : undefined;
      this.noteHolder();
      const d = decide({ identity: this.identity, leading: this.leading, observation: this.observation, now, leaseDurationMs: this.leaseDurationMs });
      switch (d.action) {
        case 'wait':
          this.log.debug({ holder: d.holder, expiresInMs: Math.round(d.expiresInMs) }, 'lease held by another; waiting');
          this.recovered();
          return false;
        case 'lost':
          this.recovered();
          this.stepDown(`lease is now held by ${d.holder ?? 'nobody'}`);
          return false;
        case 'create': {
          const created = await this.client.create(nextRecord('create', undefined, this.identity, this.leaseDurationMs, this.wallTime()), signal);
          this.accept(created);
          return true;
        }
        case 'acquire':
        case 'renew': {
          const prev = snap as LeaseSnapshot;
          const updated = await this.client.replace(prev, nextRecord(d.action, prev.record, this.identity, this.leaseDurationMs, this.wallTime()), signal);
          if (d.action === 'acquire') this.log.info({ reason: d.reason, previousHolder: d.previousHolder, leaseTransitions: updated.record.leaseTransitions }, 'lease acquired');
          this.accept(updated);
          return true;
        }
      }
    } catch (err) {
      if (this.stopController.signal.aborted) return false;
      if (err instanceof LeaseConflictError) {
        this.log.debug({ reason: err.message }, 'lost the race for the lease');
        this.recovered();
        return false;
      }
      this.failed(err);
      return false;
    } finally {
      bound.dispose();
    }
  }

  private accept(snap: LeaseSnapshot): void {
    this.observation = observe(this.observation, snap.record, this.now());
    this.noteHolder();
    this.recovered();
  }

  private noteHolder(): void {
    const holder = this.observation?.record.holderIdentity;
    if (holder === this.lastLoggedHolder) return;
    this.lastLoggedHolder = holder;
    const msg = holder ? 'lease holder observed' : this.observation ? 'lease has no holder (released)' : 'lease does not exist yet';
    this.log.info({ holder: holder ?? null }, msg);
  }

  private failed(err: unknown): void {
    this.failures += 1;
    const fields = { error: describeError(err), consecutiveFailures: this.failures, leading: this.leading };
    // First failure and every 10th loudly; the rest at debug so an outage does not flood the log.
    if (this.failures === 1 || this.failures % 10 === 0) this.log.warn(fields, 'leader election request failed');
    else this.log.debug(fields, 'leader election request failed');
  }

  private recovered(): void {
    if (this.failures > 0) this.log.info({ afterFailures: this.failures }, 'leader election requests succeed again');
    this.failures = 0;
  }

  // ---- leadership transitions -----------------------------------------------------------------

  private becomeLeader(): void {
    this.leading = true;
    this.log.info('started leading');
    try { this.onStarted(); } catch (err) { this.log.error({ err }, 'onStartedLeading threw'); }
  }

  private stepDown(reason: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.clearDeadline();
    this.log.warn({ reason }, 'stopped leading');
    try { this.onStopped(); } catch (err) { this.log.error({ err }, 'onStoppedLeading threw'); }
  }

  /** Steps down at lastRenewSentAt + renewDeadline even while the loop is stuck in a request. */
  private armDeadline(): void {
    this.clearDeadline();
    if (this.lastRenewSentAt === undefined) return;
    const ms = Math.max(0, this.lastRenewSentAt + this.renewDeadlineMs - this.now());
    this.deadlineTimer = this.timers.setTimeout(() => {
      this.deadlineTimer = undefined;
      if (!this.leading) return;
      if (leadershipValid(this.lastRenewSentAt, this.now(), this.renewDeadlineMs)) this.armDeadline();
      else this.stepDown('renew deadline passed without a successful renewal');
    }, ms + 1);
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== undefined) this.timers.clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  // ---- shutdown -------------------------------------------------------------------------------

  private shutdown(release: boolean): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      const wasRunning = this.phase === 'running';
      this.phase = 'stopping';
      this.stopController.abort();
      await this.loop;
      this.stepDown(release ? 'stopping' : 'abandoned (lease left to expire)');
      if (release && wasRunning && this.observation?.record.holderIdentity === this.identity) await this.release();
      this.clearDeadline();
      this.phase = 'stopped';
      if (wasRunning) this.log.info({ released: release }, 'leader election stopped');
    })();
    return this.stopping;
  }

  /** Clears the holder if the Lease (read fresh) still names us. Bounded; never throws. */
  private async release(): Promise<void> {
    const bound = this.timeout(this.renewDeadlineMs);
    try { await this.releaseWithin(bound.signal); } finally { bound.dispose(); }
  }

  private async releaseWithin(signal: AbortSignal): Promise<void> {
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        const snap = await this.client.get(signal);
        if (!snap || snap.record.holderIdentity !== this.identity) return;
        const released = await this.client.replace(snap, releasedRecord(snap.record, this.wallTime()), signal);
        this.observation = observe(this.observation, released.record, this.now());
        this.log.info('lease released');
        return;
      } catch (err) {
        if (err instanceof LeaseConflictError && attempt < 2) continue;
        this.log.warn({ error: describeError(err) }, 'could not release the lease; peers take over when it expires');
        return;
      }
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) { resolve(); return; }
      const done = () => { this.timers.clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
      const timer = this.timers.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  private wallTime(): string { return microTime(this.timers.wallNow?.() ?? new Date()); }

  /** AbortSignal.timeout on our timers (so a fake clock bounds requests too); dispose() when done. */
  private timeout(ms: number): { signal: AbortSignal; dispose(): void } {
    const ac = new AbortController();
    const timer = this.timers.setTimeout(() => ac.abort(new DOMException(`request took longer than ${ms} ms`, 'TimeoutError')), ms);
    return { signal: ac.signal, dispose: () => this.timers.clearTimeout(timer) };
  }
}
