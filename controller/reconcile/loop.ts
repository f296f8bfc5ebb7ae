// The one reconcile loop, in the shape of controller-runtime's controller (kube-rs: Controller):
// keys go into a work queue (work-queue.ts), workers take them one at a time per key and call a
// Reconciler. Around each call sit the parts every kind shares: the leader gate (a standby never
// reconciles), the error policy (a throw backs the key off exponentially, per key), requeueAfter,
// the reconcile-duration metric, and a periodic resync that enqueues every key. Losing the
// leadership, or stop(), aborts the reconciles in flight through their AbortSignal: reconcilers
// check it before each side effect, so a former leader stops acting at once, not at its next key.
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { WorkQueue, type BackoffOptions, type WorkQueueObserver } from './work-queue.js';

/** What a reconcile asks of the loop. Errors are thrown instead: the loop backs the key off. */
export interface ReconcileResult {
  /** Look at this key again after this long (e.g. a health check settling, a retry coming due). */
  requeueAfterMs?: number;
}

/** Makes one resource (named by its key) what it should be. Level-triggered: idempotent, any order. */
export interface Reconciler<K extends string = string> {
  reconcile(key: K, signal: AbortSignal): Promise<ReconcileResult>;
}

/** The reason a reconcile's signal carries when it was aborted (leadership lost, or stopping). */
export class ReconcileAborted extends Error {
  override readonly name = 'ReconcileAborted';
}

/**
 * The metrics every loop shares (one registry holds one metric per name): time per reconcile by
 * kind and result, the depth of each loop's queue (read when scraped), and the adds and retries of
 * each queue (counted as they happen, client-go's workqueue_adds_total / workqueue_retries_total).
 */
export class ReconcileMetrics {
  readonly duration: Histogram<'kind' | 'result'>;
  private readonly adds: Counter<'queue'>;
  private readonly retries: Counter<'queue'>;
  private readonly queues = new Map<string, { readonly depth: number }>();

  constructor(registry: Registry) {
    const queues = this.queues;
    new Gauge({
      name: 'berth_workqueue_depth', help: 'Keys waiting in the work queues', labelNames: ['queue'], registers: [registry],
      collect() { for (const [queue, q] of queues) this.set({ queue }, q.depth); },
    });
    this.duration = new Histogram({
      name: 'berth_reconcile_duration_seconds', help: 'Time spent in one reconcile', labelNames: ['kind', 'result'],
      registers: [registry], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10],
    });
    this.adds = new Counter({ name: 'berth_workqueue_adds_total', help: 'Keys put into the work queues (an add folded into a waiting key is not counted)', labelNames: ['queue'], registers: [registry] });
    this.retries = new Counter({ name: 'berth_workqueue_retries_total', help: 'Keys put back into the work queues with backoff after a failed reconcile', labelNames: ['queue'], registers: [registry] });
  }

  /** The observer that counts QUEUE's adds and retries (zero from the start, so rate() has a baseline). */
  observer(queue: string): WorkQueueObserver {
    const adds = this.adds.labels({ queue }), retries = this.retries.labels({ queue });
    adds.inc(0); retries.inc(0);
    return { added: () => adds.inc(), retried: () => retries.inc() };
  }

  /** Report `q.depth` as berth_workqueue_depth{queue}. */
  watchQueue(queue: string, q: { readonly depth: number }): void { this.queues.set(queue, q); }
}

export interface ReconcileLoopOptions<K extends string> {
  /** The resource kind: the `kind` label of berth_reconcile_duration_seconds (e.g. ContainerHost). */
  kind: string;
  /** The queue's name: the `queue` label of berth_workqueue_depth (e.g. hosts). */
  queue: string;
  /** The log field that names the key in "reconcile failed" lines (e.g. host). */
  logKey: string;
  reconciler: Reconciler<K>;
  workers: number;
  /** Every key there is: enqueued on lead() and on each resync. */
  keys: () => Iterable<K>;
  /** Enqueue every key this often while leading. */
  resyncMs: number;
  metrics: ReconcileMetrics;
  logger: Logger;
  /**
   * Asked before every reconcile, besides lead()/standBy(): the elector's own answer, which turns
   * false on its clock even before its callback has run.
   */
  isLeader?: () => boolean;
  /** The per-key error backoff (default: the work queue's, 5 ms doubling up to 5 min). */
  backoff?: BackoffOptions;
}

export class ReconcileLoop<K extends string = string> {
  private readonly queue: WorkQueue;
  private workers?: Promise<void>;
  private resyncTimer?: NodeJS.Timeout;
  private leading = false;
  private stopped = false;
  /** Aborted on standBy()/stop(); the reconciles of one leadership term share its signal. */
  private term = new AbortController();

  constructor(private readonly opts: ReconcileLoopOptions<K>) {
    this.queue = new WorkQueue(opts.backoff, opts.metrics.observer(opts.queue));
    opts.metrics.watchQueue(opts.queue, this.queue);
  }

  /** Look at this resource again (soon; once, however often it is added before a worker takes it). */
  add(key: K): void { this.queue.add(key); }

  get depth(): number { return this.queue.depth; }

  /**
   * Begin reconciling (we lead, or there is no election): the workers start on the first call, and
   * every key is enqueued — also the keys that standing by dropped.
   */
  lead(): void {
    if (this.stopped) return;
    if (!this.leading) { this.leading = true; this.term = new AbortController(); }
    this.workers ??= Promise.all(Array.from({ length: this.opts.workers }, () => this.work())).then(() => undefined);
    if (!this.resyncTimer) {
      this.resyncTimer = setInterval(() => { if (this.leading) this.enqueueAll(); }, this.opts.resyncMs);
      this.resyncTimer.unref();
    }
    this.enqueueAll();
  }

  /** Stop acting (leadership lost): abort the reconciles in flight; keys taken meanwhile are dropped. */
  standBy(reason = 'lost the leadership'): void {
    this.leading = false;
    if (!this.term.signal.aborted) this.term.abort(new ReconcileAborted(reason));
  }

  /** Abort what is in flight, take no more keys, and resolve once every worker has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.standBy('the controller is stopping');
    clearInterval(this.resyncTimer);
    this.queue.shutDown();
    await this.workers;
  }

  private enqueueAll(): void {
    for (const key of this.opts.keys()) this.queue.add(key);
  }

  private async work(): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try { await this.reconcileOnce(key as K); } finally { this.queue.done(key); }
    }
  }

  private async reconcileOnce(key: K): Promise<void> {
    const { kind, logger } = this.opts;
    // A standby never acts; the key comes back with lead().
    if (!this.leading || (this.opts.isLeader && !this.opts.isLeader())) { this.queue.forget(key); return; }
    const signal = this.term.signal;
    const end = this.opts.metrics.duration.startTimer({ kind });
    try {
      const result = await this.opts.reconciler.reconcile(key, signal);
      end({ result: 'ok' });
      this.queue.forget(key);
      if (result.requeueAfterMs !== undefined && !signal.aborted) this.queue.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      end({ result: 'error' });
      if (signal.aborted) {
        // Not the resource's fault: no backoff; lead() enqueues it again.
        this.queue.forget(key);
        logger.info({ [this.opts.logKey]: key, reason: (signal.reason as Error | undefined)?.message }, 'reconcile aborted');
        return;
      }
      const retryInMs = this.queue.addRateLimited(key);
      logger.warn({ err, [this.opts.logKey]: key, retryInMs }, 'reconcile failed; retrying');
    }
  }
}
