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
const MAX_PENDING = 2_000;
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
  private readonly waiting: (() => void)[] = [];
  private readonly windowMs: number;
  private readonly now: () => Date;

  constructor(private readonly o: EventRecorderOptions) {
    this.windowMs = o.aggregateWindowMs ?? 10 * 60_000;
    this.now = o.now ?? (() => new Date());
  }

  /** Writes an event to the apiserver in the background. Never throws. */
  record(target: InvolvedObject, event: EventRecord): void {
    try {
      if (this.pending >= MAX_PENDING) {
        this.o.log.warn({ kind: target.kind, key: `${target.namespace}/${target.name}`, reason: event.reason }, 'too many Event writes pending; dropping this one');
        return;
      }
      const id = [target.kind, target.namespace, target.name, target.uid, event.type, event.reason, truncateMessage(event.message)].join('\0');
      this.pending++;
      const previous = this.chains.get(id) ?? Promise.resolve();
      const next = previous.then(() => this.throttled(() => this.write(id, target, event))).catch((err: unknown) => {
        this.o.log.warn({ kind: target.kind, key: `${target.namespace}/${target.name}`, reason: event.reason, err: asKubeError(err, 'event').message }, 'could not write Event');
      }).finally(() => {
        this.pending--;
        if (this.chains.get(id) === next) this.chains.delete(id);
      });
      this.chains.set(id, next);
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
    if (this.series.size < 256) return;
    for (const [id, s] of this.series) if (nowMs - s.lastSeen >= this.windowMs) this.series.delete(id);
  }
}
