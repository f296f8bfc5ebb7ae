// Kubernetes Events for the Kubernetes store: core/v1 Events about ContainerHosts and AgentTokens
// (`kubectl describe ch`, `kubectl get events`). The short in-memory log for the HTTP API is the
// EventLog both stores share (../event-log.ts); this module only writes to the apiserver.
//
// Like client-go's recorder, repeats are aggregated: the same object + type + reason + message
// within the window (10 min) patches count and lastTimestamp of the Event already written instead of
// creating another. Writes for one such series are serialized (so two quick repeats cannot both
// create), and recording never throws or blocks the caller: failures are logged and dropped — an
// Event is best-effort by nature, a reconcile must never fail because of one.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { asKubeError, type KubeApi } from '../../kube/api.js';
import { eventBody, truncateMessage, type InvolvedObject } from './objects.js';
import type { EventRecord } from '../store.js';

/** Writes waiting beyond this many are dropped (an apiserver that does not answer must not grow memory). */
const MAX_PENDING = 200;
/**
 * Event writes in flight at once. Events are best-effort and, at fleet scale, the most numerous
 * writes (one per container created): unbounded, a cold start sends hundreds at once and the
 * finalizer, token and status writes the fleet waits for queue behind them at the apiserver
 * (bench/scale --modes kube). client-go's recorder also writes from one goroutine per broadcaster.
 */
const MAX_IN_FLIGHT = 4;

interface Series { namespace: string; name: string; count: number; lastSeen: number }

export interface EventRecorderOptions {
  api: KubeApi;
  log: Logger;
  /** reportingInstance: which controller replica wrote it (pod name or hostname). */
  instance: string;
  aggregateWindowMs?: number;
  now?: () => Date;
}

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
const seconds = (d: Date): string => d.toISOString().replace(/\.\d+Z$/, 'Z');

export class EventRecorder {
  private readonly series = new Map<string, Series>();
  private readonly chains = new Map<string, Promise<void>>();
  private pending = 0;
  private inFlight = 0;
  private prunedAt = 0;
  /** Batches not yet being written, by object + type + reason: later events join their message. */
  private readonly open = new Map<string, { messages: string[] }>();
  private readonly waiting: (() => void)[] = [];
  private readonly windowMs: number;
  private readonly now: () => Date;

  constructor(private readonly o: EventRecorderOptions) {
    this.windowMs = o.aggregateWindowMs ?? 10 * 60_000;
    this.now = o.now ?? (() => new Date());
  }

  /**
   * Writes an event to the apiserver in the background. Never throws. Events of one object with the
   * same type and reason that arrive while an earlier one still waits for its turn (a cold fleet's
   * "c0: creating …", "c1: creating …") join it: one Event whose message lists them, not one write
   * each. With the apiserver keeping up nothing waits, and every event is written on its own.
   */
  record(target: InvolvedObject, event: EventRecord): void {
    try {
      const group = [target.kind, target.namespace, target.name, target.uid, event.type, event.reason].join('\0');
      const open = this.open.get(group);
      if (open) { open.messages.push(event.message); return; }
      if (this.pending >= MAX_PENDING) {
        this.o.log.warn({ kind: target.kind, key: `${target.namespace}/${target.name}`, reason: event.reason }, 'too many Event writes pending; dropping this one');
        return;
      }
      const batch = { messages: [event.message] };
      this.open.set(group, batch);
      this.pending++;
      // One chain per object + type + reason: two quick repeats of a series cannot both create it.
      const previous = this.chains.get(group) ?? Promise.resolve();
      const next = previous.then(() => this.throttled(async () => {
        if (this.open.get(group) === batch) this.open.delete(group);   // from here on, a new event starts a new batch
        const distinct = [...new Set(batch.messages)];
        // Only repeats of one message: the series' count goes up by each, as client-go aggregates.
        const writes = distinct.length === 1 ? batch.messages.length : 1;
        const joined = { ...event, message: distinct.join('; ') };
        const id = [group, truncateMessage(joined.message)].join('\0');
        for (let i = 0; i < writes; i++) await this.write(id, target, joined);
      })).catch((err: unknown) => {
        if (this.open.get(group) === batch) this.open.delete(group);
        this.o.log.warn({ kind: target.kind, key: `${target.namespace}/${target.name}`, reason: event.reason, err: asKubeError(err, 'event').message }, 'could not write Event');
      }).finally(() => {
        this.pending--;
        if (this.chains.get(group) === next) this.chains.delete(group);
      });
      this.chains.set(group, next);
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'could not record event');
    }
  }

  /** Resolves when every Event write started so far has finished. */
  async idle(): Promise<void> {
    while (this.chains.size) await Promise.all([...this.chains.values()]);
  }

  /** Runs FN when fewer than MAX_IN_FLIGHT writes are running (first come, first served). */
  private async throttled(fn: () => Promise<void>): Promise<void> {
    // A finishing write hands its slot straight to the next waiter (inFlight stays as it is).
    if (this.inFlight >= MAX_IN_FLIGHT) await new Promise<void>((r) => this.waiting.push(r));
    else this.inFlight++;
    try { await fn(); } finally {
      const next = this.waiting.shift();
      if (next) next(); else this.inFlight--;
    }
  }

  private async write(id: string, target: InvolvedObject, event: EventRecord): Promise<void> {
    const now = this.now();
    this.prune(now.getTime());
    const known = this.series.get(id);
    if (known && now.getTime() - known.lastSeen < this.windowMs) {
      const count = known.count + 1;
      try {
        await this.o.api.mergePatchEvent(`patch Event ${known.namespace}/${known.name}`, known.namespace, known.name, { count, lastTimestamp: seconds(now) });
        known.count = count;
        known.lastSeen = now.getTime();
        return;
      } catch (err) {
        // Expired (Events have a TTL) or deleted by someone: start a new series.
        if (!asKubeError(err, 'event').notFound) throw err;
        this.series.delete(id);
      }
    }
    // kubectl/client-go name Events <object>.<unique hex>; ours are unique per series.
    const name = `${target.name}.${Date.now().toString(16)}${randomBytes(4).toString('hex')}`;
    const body = eventBody(target, event, name, seconds(now), this.o.instance);
    await this.o.api.createEvent(`create Event for ${target.kind} ${target.namespace}/${target.name}`, target.namespace, body);
    this.series.set(id, { namespace: target.namespace, name, count: 1, lastSeen: now.getTime() });
  }

  private prune(nowMs: number): void {
    // A walk over every series, so at most once a minute: a cold fleet records thousands of
    // series within the window, and walking them on every write was quadratic (bench/scale).
    if (this.series.size < 256 || nowMs - this.prunedAt < 60_000) return;
    this.prunedAt = nowMs;
    for (const [id, s] of this.series) if (nowMs - s.lastSeen >= this.windowMs) this.series.delete(id);
  }
}
