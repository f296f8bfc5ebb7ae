// The I/O the elector needs from the apiserver: read, create and replace ONE Lease, with optimistic
// concurrency (replace carries the resourceVersion that was read; 409 = someone else wrote first).
// `KubeLeaseClient` does it with @kubernetes/client-node's CoordinationV1Api; tests may pass any
// other `LeaseClient`. Lives in controller/kube/ (the only folder that imports client-node); the
// elector in controller/leader/ imports it from here.
import { CoordinationV1Api, Observable, type KubeConfig, type V1Lease, type V1MicroTime } from '@kubernetes/client-node';
import { withRbacHint } from '../rbac-hint.js';

/** A Lease as read: the record plus what an optimistic update needs. */
export interface LeaseSnapshot {
  resourceVersion: string;
  record: LeaseRecord;
  /** The whole object as read (fields we do not manage are written back unchanged). */
  raw?: unknown;
}

export interface LeaseClient {
  /** The Lease, or undefined when it does not exist (404). */
  get(signal: AbortSignal): Promise<LeaseSnapshot | undefined>;
  /** Creates it; throws `LeaseConflictError` when it already exists (409). */
  create(record: LeaseRecord, signal: AbortSignal): Promise<LeaseSnapshot>;
  /** Replaces it as of `prev.resourceVersion`; throws `LeaseConflictError` when it changed since (409). */
  replace(prev: LeaseSnapshot, record: LeaseRecord, signal: AbortSignal): Promise<LeaseSnapshot>;
}

/** Someone else wrote the Lease first (HTTP 409): not an error, just a lost race. */
export class LeaseConflictError extends Error {
  constructor(message = 'lease changed concurrently (409 Conflict)') { super(message); this.name = 'LeaseConflictError'; }
}

/** HTTP status of a client-node ApiException (duck-typed: the class may come from another copy of the module). */
export function httpStatusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' && code >= 100 && code < 600 ? code : undefined;
}

/** A short, secret-free description of a failed request for logs. */
export function describeError(err: unknown): string {
  const status = httpStatusOf(err);
  if (status !== undefined) {
    const body = (err as { body?: unknown }).body;
    let message: string | undefined;
    try { message = (typeof body === 'string' ? JSON.parse(body) : body)?.message; } catch { /* not JSON */ }
    return withRbacHint(status, `HTTP ${status}${message ? `: ${message}` : ''}`);
  }
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (${(cause as NodeJS.ErrnoException).code ?? cause.message})` : '';
    return `${err.name}: ${err.message}${causeText}`;
  }
  return String(err);
}

/** RFC 3339 with exactly six fractional digits — the apiserver's MicroTime format. */
export function microTime(d: Date = new Date()): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function timeString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Date && !Number.isNaN(v.getTime())) return microTime(v);
  return undefined;
}

function toSnapshot(lease: V1Lease): LeaseSnapshot {
  const spec = lease.spec ?? {};
  const record: LeaseRecord = {};
  if (spec.holderIdentity) record.holderIdentity = spec.holderIdentity;
  if (typeof spec.leaseDurationSeconds === 'number') record.leaseDurationSeconds = spec.leaseDurationSeconds;
  const acquireTime = timeString(spec.acquireTime);
  if (acquireTime) record.acquireTime = acquireTime;
  const renewTime = timeString(spec.renewTime);
  if (renewTime) record.renewTime = renewTime;
  if (typeof spec.leaseTransitions === 'number') record.leaseTransitions = spec.leaseTransitions;
  return { resourceVersion: lease.metadata?.resourceVersion ?? '', record, raw: lease };
}

/**
 * client-node types MicroTime as a Date but (de)serializes it untouched: strings read come back as
 * strings, and a string written goes out as is. We keep them as the exact MicroTime strings.
 */
function specFrom(record: LeaseRecord, keep: V1Lease['spec'] = {}): NonNullable<V1Lease['spec']> {
  const spec: NonNullable<V1Lease['spec']> = { ...keep };
  delete spec.holderIdentity; delete spec.leaseDurationSeconds; delete spec.acquireTime; delete spec.renewTime; delete spec.leaseTransitions;
  if (record.holderIdentity) spec.holderIdentity = record.holderIdentity;
  if (record.leaseDurationSeconds !== undefined) spec.leaseDurationSeconds = record.leaseDurationSeconds;
  if (record.acquireTime) spec.acquireTime = record.acquireTime as unknown as V1MicroTime;
  if (record.renewTime) spec.renewTime = record.renewTime as unknown as V1MicroTime;
  if (record.leaseTransitions !== undefined) spec.leaseTransitions = record.leaseTransitions;
  return spec;
}

/** Per-request options for client-node: puts our AbortSignal on the request. */
function withSignal(signal: AbortSignal) {
  return {
    middleware: [{
      pre: (ctx: { setSignal(s: AbortSignal): void }) => { ctx.setSignal(signal); return new Observable(Promise.resolve(ctx)); },
      post: <T>(rsp: T) => new Observable(Promise.resolve(rsp)),
    }],
    middlewareMergeStrategy: 'append' as const,
  } as unknown as Parameters<CoordinationV1Api['readNamespacedLease']>[1];
}

export class KubeLeaseClient implements LeaseClient {
  private readonly api: CoordinationV1Api;

  constructor(kubeConfig: KubeConfig, private readonly namespace: string, private readonly name: string) {
    this.api = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  async get(signal: AbortSignal): Promise<LeaseSnapshot | undefined> {
    try {
      return toSnapshot(await this.api.readNamespacedLease({ name: this.name, namespace: this.namespace }, withSignal(signal)));
    } catch (err) {
      if (httpStatusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord, signal: AbortSignal): Promise<LeaseSnapshot> {
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { name: this.name, namespace: this.namespace },
      spec: specFrom(record),
    };
    try {
      return toSnapshot(await this.api.createNamespacedLease({ namespace: this.namespace, body }, withSignal(signal)));
    } catch (err) {
      if (httpStatusOf(err) === 409) throw new LeaseConflictError('lease created concurrently (409 AlreadyExists)');
      throw err;
    }
  }

  async replace(prev: LeaseSnapshot, record: LeaseRecord, signal: AbortSignal): Promise<LeaseSnapshot> {
    const raw = (prev.raw ?? {}) as V1Lease;
    const body: V1Lease = {
      ...raw,
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { ...(raw.metadata ?? {}), name: this.name, namespace: this.namespace, resourceVersion: prev.resourceVersion },
      spec: specFrom(record, raw.spec),
    };
    try {
      return toSnapshot(await this.api.replaceNamespacedLease({ name: this.name, namespace: this.namespace, body }, withSignal(signal)));
    } catch (err) {
      const status = httpStatusOf(err);
      // 409: changed since we read it. 404: deleted since — also a lost race; the next round creates it.
      if (status === 409 || status === 404) throw new LeaseConflictError(`lease changed concurrently (${status})`);
      throw err;
    }
  }
}

/** The leader-election fields of a `coordination.k8s.io/v1` Lease spec. */
export interface LeaseRecord {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  /** RFC 3339 (MicroTime) as written by the holder; informational only, never compared to our clock. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
