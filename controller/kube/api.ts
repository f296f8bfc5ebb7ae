// The Kubernetes store's two ways to the apiserver (and the reviewer's, review.ts), both
// authenticated by the KubeConfig:
//
// - KubeApi: @kubernetes/client-node's generated clients (CustomObjectsApi, CoreV1Api) for single
//   requests: get, create, replace, patch — offered to the store as a few methods in Berth's terms
//   (getCustomObject, mergePatchCustomObjectStatus, createSecret, ...). Every call gets per-call
//   middleware that
//     * FORCES the patch Content-Type. The generated patch methods pick the first media type of
//       their list, which is application/json-patch+json; a merge patch sent with that header would
//       be rejected (or, worse, a JSON patch mistaken for something else). `setHeaderOptions`
//       (client-node's own helper) replaces the header after the generator set it; the observer
//       below sees the headers exactly as they go to fetch, and the kube tests assert them.
//     * bounds the request with a timeout (AbortSignal), so a half-open connection cannot hang a
//       status write or a finalizer patch forever.
// - KubeHttp: raw HTTPS (node:https with kc.applyToHTTPSOptions: CA, client certs, bearer or exec
//   tokens, proxy agent) for the informers' paged lists and streaming watches. client-node's Watch
//   aborts any watch silent for 30 s and cannot ask for bookmarks, and its ListWatch stops for good
//   on any non-410 error; the reflector (store/kube/reflector.ts) needs control over both.
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import {
  ApiException, CoreV1Api, CustomObjectsApi, Observable, PatchStrategy, setHeaderOptions,
  type ConfigurationOptions, type CoreV1Event, type KubeConfig, type ObservableMiddleware, type RequestContext, type ResponseContext,
  type V1Secret,
} from '@kubernetes/client-node';
import { pooledConnections } from './pooled-connections.js';
import { laneOf, RequestLanes, type Lane, type RateLimits } from './request-lanes.js';
import { errorMessage } from '../lib/errors.js';
import { withRbacHint } from '../rbac-hint.js';

/** An apiserver answer that was not 2xx (or no answer: status 0), with the Status reason if any. */
export class KubeError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string) {
    super(message);
    this.name = 'KubeError';
  }
  get notFound(): boolean { return this.status === 404; }
  get conflict(): boolean { return this.status === 409; }
  get gone(): boolean { return this.status === 410 || this.reason === 'Expired' || this.reason === 'Gone'; }
}


/** Turns a Status body (JSON text or object) into a KubeError. */
export function statusError(status: number, body: unknown, what: string): KubeError {
  let parsed: { reason?: string; message?: string; code?: number } | undefined;
  if (typeof body === 'string') {
    try { parsed = JSON.parse(body) as typeof parsed; } catch { parsed = { message: body.slice(0, 300) }; }
  } else if (body && typeof body === 'object') parsed = body as typeof parsed;
  const code = status || parsed?.code || 0;
  const message = parsed?.message?.trim() || `HTTP ${code}`;
  return new KubeError(code, parsed?.reason ?? '', `${what}: ${withRbacHint(code, message)}`);
}

/** Any error from a call, as a KubeError (network failures and timeouts get status 0). */
export function asKubeError(err: unknown, what: string): KubeError {
  if (err instanceof KubeError) return err;
  // ApiException, duck-typed too (a second copy of client-node would have its own class).
  if (err instanceof ApiException || (typeof (err as { code?: unknown } | undefined)?.code === 'number' && 'body' in (err as object))) {
    const e = err as { code: number; body: unknown };
    return statusError(e.code, e.body, what);
  }
  const e = err as { name?: string; code?: string; cause?: { code?: string; message?: string } } | undefined;
  const detail = e?.name === 'TimeoutError' || e?.name === 'AbortError' ? 'timed out'
    : [errorMessage(err), e?.cause?.code ?? e?.code, e?.cause?.message].filter(Boolean).join(': ');
  return new KubeError(0, 'NetworkError', `${what}: ${detail}`);
}

export interface RequestRecord { method: string; url: string; contentType?: string }

export interface KubeApiOptions {
  /** Bound for one request (default 30 s). */
  timeoutMs?: number;
  /** Sees every request as it is handed to fetch (after all middleware). For diagnostics and tests. */
  onRequest?: (r: RequestRecord) => void;
  /** Client-side qps/burst (request-lanes.ts); default none — the store passes its own. */
  rateLimits?: RateLimits;
}

/** A request the apiserver refused with 403: the message names the verb, resource and user. */
export interface Denial { message: string; since: string; lastSeen: number }

/** How long a refused request stays listed after it was last seen (it is retried long before). */
export const DENIAL_MEMORY_MS = 10 * 60_000;

/** Where one custom object lives. */
export interface CustomObjectRef { group: string; version: string; plural: string; namespace: string; name: string }

export class KubeApi {
  private readonly custom: CustomObjectsApi;
  private readonly core: CoreV1Api;
  private readonly timeoutMs: number;
  private readonly onRequest: ((r: RequestRecord) => void) | undefined;
  /** 403s by the apiserver's message (minus the object name), so a missing RBAC rule is visible in /api/v1/sources. */
  private readonly denials = new Map<string, Denial>();
  /** Orders requests once the client-side bucket is empty: the token path first (request-lanes.ts). */
  readonly lanes: RequestLanes;

  constructor(kc: KubeConfig, options: KubeApiOptions = {}) {
    this.lanes = new RequestLanes(options.rateLimits ?? { qps: 0, burst: 1 });
    const pooled = pooledConnections(kc);   // one kept-alive pool, not a TLS handshake per request
    this.custom = pooled.makeApiClient(CustomObjectsApi);
    this.core = pooled.makeApiClient(CoreV1Api);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.onRequest = options.onRequest;
  }

  /**
   * Per-call options: [Content-Type override] + timeout + observer, APPENDED to the client's own
   * middleware (User-Agent) — the default merge strategy would replace it.
   */
  options(contentType?: PatchStrategy): ConfigurationOptions {
    const base: ConfigurationOptions = contentType ? setHeaderOptions('Content-Type', contentType) : { middleware: [], middlewareMergeStrategy: 'append' };
    const timeoutMs = this.timeoutMs;
    const observe = this.onRequest;
    const last: ObservableMiddleware = {
      pre: (ctx: RequestContext) => {
        ctx.setSignal(AbortSignal.timeout(timeoutMs));
        if (observe) {
          const headers = ctx.getHeaders();
          const type = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type')?.[1];
          observe({ method: String(ctx.getHttpMethod()), url: ctx.getUrl(), ...(type ? { contentType: type } : {}) });
        }
        return new Observable(Promise.resolve(ctx));
      },
      post: (res: ResponseContext) => new Observable(Promise.resolve(res)),
    };
    return { ...base, middleware: [...(base.middleware ?? []), last], middlewareMergeStrategy: 'append' };
  }

  // ---------------------------------------------------------------- the store's requests
  // In Berth's terms: plain JSON bodies in, plain JSON objects out, failures as KubeErrors naming
  // `what`. client-node's generated method names, request shapes and the Content-Type of each patch
  // stay in this file, so the store (controller/store/kube/) needs nothing from client-node.

  getCustomObject(what: string, ref: CustomObjectRef): Promise<unknown> {
    return this.call(what, () => this.custom.getNamespacedCustomObject(ref, this.options()), laneOf(ref));
  }

  /** A JSON patch (RFC 6902, application/json-patch+json) of the object. */
  jsonPatchCustomObject(what: string, ref: CustomObjectRef, ops: readonly object[]): Promise<unknown> {
    return this.call(what, () => this.custom.patchNamespacedCustomObject({ ...ref, body: ops }, this.options(PatchStrategy.JsonPatch)), laneOf(ref));
  }

  /** A JSON merge patch (RFC 7386, application/merge-patch+json) of the status subresource. */
  mergePatchCustomObjectStatus(what: string, ref: CustomObjectRef, body: object): Promise<unknown> {
    return this.call(what, () => this.custom.patchNamespacedCustomObjectStatus({ ...ref, body }, this.options(PatchStrategy.MergePatch)), laneOf(ref));
  }

  readSecret(what: string, namespace: string, name: string): Promise<unknown> {
    return this.call(what, () => this.core.readNamespacedSecret({ namespace, name }, this.options()), 'tokens');
  }

  createSecret(what: string, namespace: string, body: object): Promise<unknown> {
    return this.call(what, () => this.core.createNamespacedSecret({ namespace, body: body as V1Secret }, this.options()), 'tokens');
  }

  /** A full replace; `body.metadata.resourceVersion` makes it conditional. */
  replaceSecret(what: string, namespace: string, name: string, body: object): Promise<unknown> {
    return this.call(what, () => this.core.replaceNamespacedSecret({ namespace, name, body: body as V1Secret }, this.options()), 'tokens');
  }

  createEvent(what: string, namespace: string, body: object): Promise<unknown> {
    return this.call(what, () => this.core.createNamespacedEvent({ namespace, body: body as CoreV1Event }, this.options()), 'events');
  }

  /** A JSON merge patch of an Event (count, lastTimestamp). */
  mergePatchEvent(what: string, namespace: string, name: string, body: object): Promise<unknown> {
    return this.call(what, () => this.core.patchNamespacedEvent({ namespace, name, body }, this.options(PatchStrategy.MergePatch)), 'events');
  }

  /** Runs one call once LANE may go (client-side limits), mapping every failure to a KubeError naming `what`. */
  async call<T>(what: string, fn: () => Promise<T>, lane: Lane = 'hosts'): Promise<T> {
    await this.lanes.acquire(lane);
    try { return await fn(); } catch (err) {
      const e = asKubeError(err, what);
      if (e.status === 403) this.remember(e.message);
      throw e;
    }
  }

  private remember(message: string): void {
    // One entry per kind of refusal, not per object: `... "box-1" is forbidden: User ... cannot patch ...`.
    const key = message.replace(/^[^:]*: /, '').replace(/"[^"]*" is forbidden/, 'is forbidden');
    const now = Date.now();
    const known = this.denials.get(key);
    this.denials.set(key, { message, since: known?.since ?? new Date(now).toISOString(), lastSeen: now });
  }

  /** Refusals seen within DENIAL_MEMORY_MS, oldest first. */
  recentDenials(now = Date.now()): Denial[] {
    for (const [k, d] of this.denials) if (now - d.lastSeen > DENIAL_MEMORY_MS) this.denials.delete(k);
    return [...this.denials.values()];
  }
}

/** One raw request in flight: its response, and a way to abort it (watchdog, stop). */
export interface OpenRequest { response: Promise<IncomingMessage>; cancel(reason: Error): void }

/** Raw HTTPS to the apiserver for lists and watches. */
export class KubeHttp {
  constructor(private readonly kc: KubeConfig) {}

  get server(): string {
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    return cluster.server;
  }

  /** GET path?query; the response is handed over as soon as the headers are in. */
  open(path: string, query: Record<string, string | undefined>): OpenRequest {
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    let cancelled: Error | undefined;
    let rejectCancelled!: (e: Error) => void;
    const whenCancelled = new Promise<never>((_, reject) => { rejectCancelled = reject; });
    whenCancelled.catch(() => undefined);
    const inner = (async () => {
      const url = new URL(this.server.replace(/\/+$/, '') + path);
      for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
      const opts: RequestOptions = { method: 'GET', headers: {} };
      await this.kc.applyToHTTPSOptions(opts);   // may run an exec credential plugin
      if (cancelled) throw cancelled;
      opts.headers = { ...(opts.headers as Record<string, string>), Accept: 'application/json' };
      return new Promise<IncomingMessage>((resolve, reject) => {
        const make = url.protocol === 'http:' ? httpRequest : httpsRequest;
        req = make(url, opts, (r) => { res = r; resolve(r); });
        req.on('error', reject);
        req.end();
      });
    })();
    inner.catch(() => undefined);
    return {
      // A cancel wins even while credentials are still being fetched.
      response: Promise.race([inner, whenCancelled]),
      cancel(reason: Error) {
        cancelled ??= reason;
        rejectCancelled(reason);
        res?.destroy(reason);
        req?.destroy(reason);
      },
    };
  }

  /** Reads a whole response; non-2xx becomes a KubeError from the Status body. */
  static async readJson(res: IncomingMessage, what: string, onChunk?: () => void): Promise<unknown> {
    const chunks: Buffer[] = [];
    for await (const chunk of res) { chunks.push(chunk as Buffer); onChunk?.(); }
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) throw statusError(status, text, what);
    try { return JSON.parse(text); } catch (err) { throw new KubeError(status, 'BadResponse', `${what}: unparseable response (${errorMessage(err)})`); }
  }
}
