// The controller process: one store, one HTTP server (API + agent WebSocket endpoint), the agent
// hub, and two work queues (hosts, tokens) with their workers. Everything that happens — a resource
// change, an agent connecting, a result — only enqueues a key; the reconcilers do the rest.
import { createServer, type Server } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { splitKey, type ResourceKey } from './api/types.js';
import { join } from 'node:path';
import { anonymousAccess, type AccessControl } from './http/access.js';
import { createApi } from './http/api.js';
import { EventStream } from './http/events.js';
import type { SessionAuthority } from './http/kube-access.js';
import { UpgradeRouter } from './http/upgrade-router.js';
import { AGENT_CONNECT_PATH, AgentHub } from './hub/hub.js';
import type { Leadership } from './leader/leadership.js';
import { LogFanout } from './logs/fanout.js';
import { LogSocket } from './logs/socket.js';
import { packageRoot } from './package-root.js';
import { ObservedStore } from './store/observed-store.js';
import { HostReconciler } from './reconcile/host-reconciler.js';
import { TokenReconciler } from './reconcile/token-reconciler.js';
import { runWorkers, WorkQueue } from './reconcile/work-queue.js';
import type { EventRecord, Store } from './store/store.js';
import { generateSigningKey, importSigningKey, importVerificationKey, type SigningKey, type VerificationKey } from './tokens/signing-key.js';
import { verifyAgentToken } from './tokens/verify.js';

export interface ControllerOptions {
  store: Store & { events?: (kind: 'ContainerHost' | 'AgentToken', key: ResourceKey) => Array<EventRecord & { lastTimestamp?: string }> };
  logger: Logger;
  version: string;
  /** Where the API, the web page and the agent endpoint listen. */
  listen: { host: string; port: number };
  /** The URL agents dial (written into token Secrets/files); default ws://<listen address>. */
  agentUrl?: string;
  workers?: number;
  /** Full resync of every resource (default 5 min). */
  resyncMs?: number;
  registry?: Registry;
  leadership?: Leadership;
  /**
   * Who may read what through the HTTP surface — JSON API, event stream, and the log socket, which
   * asks before upgrading (default anonymous: directory mode on loopback).
   */
  access?: AccessControl;
  /** Kubernetes-mode page sign-in (POST /api/v1/session); usually the same object as `access`. */
  sessions?: SessionAuthority;
  /** The built status page (default <package>/dist/web); false serves none. */
  webRoot?: string | false;
  /** Hub timings, for tests. */
  hubOptions?: { pingIntervalMs?: number; helloTimeoutMs?: number };
  /** Log fan-out tuning (docs/logs.md): grace after the last viewer, ring size, slow-viewer bound. */
  logs?: { graceMs?: number; ringSize?: number; viewerMaxBufferedBytes?: number; accessRecheckMs?: number };
}

/**
 * Token reconciles are short but wait on I/O (token files or Secrets) several times each; with 2
 * workers a cold start with thousands of AgentTokens minted ~50 tokens/s while host reconciles kept
 * the event loop busy (bench/scale), and agents cannot connect before their token exists.
 */
const TOKEN_WORKERS = 8;

export class Controller {
  readonly registry: Registry;
  private readonly hostQueue = new WorkQueue();
  private readonly tokenQueue = new WorkQueue();
  private server?: Server;
  private hub?: AgentHub;
  private upgrades?: UpgradeRouter;
  private logFanout?: LogFanout;
  private logSocket?: LogSocket;
  private signing?: SigningKey;
  private verification?: VerificationKey;
  private workers: Promise<void>[] = [];
  private resyncTimer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private started = false;
  private stopping = false;
  private url = '';
  private eventStream?: EventStream;
  private app?: Express;

  constructor(private readonly opts: ControllerOptions) {
    this.registry = opts.registry ?? new Registry();
  }

  /** The http://host:port the controller serves on (after start). */
  get address(): string { return this.url; }
  get agentUrl(): string { return this.opts.agentUrl ?? this.url.replace(/^http/, 'ws'); }
  /** The express app of the HTTP surface (after start), for the test that enumerates its routes. */
  get httpApp(): Express | undefined { return this.app; }
  /** The access control every read goes through (the log socket takes it too). */
  get access(): AccessControl { return this.opts.access ?? anonymousAccess; }

  async start(): Promise<void> {
    const { logger } = this.opts;
    // The reconcilers write status through this wrapper so the page hears about every write.
    const observed = new ObservedStore(this.opts.store);
    const store = observed;
    collectDefaultMetrics({ register: this.registry });
    const depth = new Gauge({ name: 'berth_workqueue_depth', help: 'Keys waiting in the work queues', labelNames: ['queue'], registers: [this.registry] });
    const reconcileSeconds = new Histogram({ name: 'berth_reconcile_duration_seconds', help: 'Time spent in one reconcile', labelNames: ['kind', 'result'], registers: [this.registry], buckets: [0.001, 0.005, 0.02, 0.1, 0.5, 2, 10] });
    const tracked = (kind: string, fn: (key: string) => Promise<{ requeueAfterMs?: number } | void>) => async (key: string) => {
      // A standby never acts; the keys come back with enqueueAll() when it leads again.
      if (this.opts.leadership && !this.opts.leadership.isLeader()) return undefined;
      const end = reconcileSeconds.startTimer({ kind });
      try { const r = await fn(key); end({ result: 'ok' }); return r; } catch (err) { end({ result: 'error' }); throw err; } finally {
        depth.set({ queue: 'hosts' }, this.hostQueue.depth);
        depth.set({ queue: 'tokens' }, this.tokenQueue.depth);
      }
    };

    await store.start();
    const material = await store.signingKey(generateSigningKey);
    this.signing = await importSigningKey(material);
    this.verification = await importVerificationKey(material);

    this.eventStream = new EventStream({ store, watch: (l) => observed.watchAll(l), access: this.access, logger: logger.child({ component: 'events' }) });
    const app = this.app = createApi({
      store, registry: this.registry, version: this.opts.version,
      access: this.access, eventStream: this.eventStream,
      ...(this.opts.sessions ? { sessions: this.opts.sessions } : {}),
      webRoot: this.opts.webRoot ?? join(packageRoot, 'dist/web'),
      ready: () => (!this.started ? { ok: false, reason: 'starting' }
        : this.opts.leadership && !this.opts.leadership.isLeader() ? { ok: false, reason: 'not the leader (standby)' } : { ok: true }),
      ...(this.opts.store.events ? { events: this.opts.store.events.bind(this.opts.store) } : {}),
    });
    this.server = createServer(app);
    // One upgrade router: the agent endpoint and the browsers' log socket share the server.
    this.upgrades = new UpgradeRouter(this.server);
    this.hub = new AgentHub({
      logger: logger.child({ component: 'hub' }), registry: this.registry,
      authenticate: (jwt) => {
        // A standby answers 503 (the hub's answer when authenticate throws): agents back off and the
        // Service, reading /readyz, sends them to the leader.
        if (this.opts.leadership && !this.opts.leadership.isLeader()) throw new Error('this controller is not the leader');
        return verifyAgentToken(jwt, { publicKeys: this.verification!, lookupTokenByUid: (uid) => store.tokenByUid(uid) });
      },
      welcomeFor: (hostKey) => {
        const host = store.host(hostKey);
        if (!host) return undefined;
        return { host: { ...splitKey(hostKey), uid: host.metadata.uid }, policy: host.spec.policy, resyncSeconds: 300 };
      },
      ...this.opts.hubOptions,
    });
    this.upgrades.route(AGENT_CONNECT_PATH, this.hub.upgradeHandler);
    const containersOf = (namespace: string, name: string): string[] | undefined => {
      const host = store.host(`${namespace}/${name}`);
      return host ? (host.spec.containers ?? []).map((c) => c.name) : undefined;
    };
    this.logFanout = new LogFanout({
      hub: this.hub, registry: this.registry, logger: logger.child({ component: 'logs' }), ...this.opts.logs,
      isDeclared: (t) => containersOf(t.namespace, t.host)?.includes(t.container) ?? false,
    });
    this.logSocket = new LogSocket({
      fanout: this.logFanout, containersOf, access: this.access, logger: logger.child({ component: 'logs' }),
      ...(this.opts.logs?.accessRecheckMs ? { accessRecheckMs: this.opts.logs.accessRecheckMs } : {}),
    });
    this.upgrades.route(this.logSocket.path, this.logSocket.handleUpgrade);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.listen.port, this.opts.listen.host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;

    const hosts = new HostReconciler(store, this.hub, (k) => this.hostQueue.add(k), logger.child({ component: 'hosts' }), this.registry);
    const tokens = new TokenReconciler(store, this.hub, () => this.signing!, () => this.agentUrl, logger.child({ component: 'tokens' }));

    this.unsubscribe = store.subscribe((event) => {
      if (event.kind === 'ContainerHost') { this.hostQueue.add(event.key); this.logFanout?.recheck(event.key); }
      else if (event.kind === 'AgentToken') this.tokenQueue.add(event.key);
      else {
        // A Secret changed: every host in its namespace that may reference it looks again.
        const { namespace } = splitKey(event.key);
        for (const h of store.hosts()) if (h.metadata.namespace === namespace) this.hostQueue.add(`${namespace}/${h.metadata.name}`);
      }
    });
    const enqueueAll = () => {
      for (const h of store.hosts()) this.hostQueue.add(`${h.metadata.namespace}/${h.metadata.name}`);
      for (const t of store.tokens()) this.tokenQueue.add(`${t.metadata.namespace}/${t.metadata.name}`);
    };
    enqueueAll();
    this.resyncTimer = setInterval(enqueueAll, this.opts.resyncMs ?? 5 * 60_000);
    this.resyncTimer.unref();

    const onError = (kind: string) => (key: string, err: unknown, retryInMs: number) =>
      logger.warn({ err, [kind]: key, retryInMs }, `reconcile failed; retrying`);
    const n = this.opts.workers ?? 4;
    const startWorkers = () => {
      if (this.workers.length) { enqueueAll(); return; }
      this.workers = [
        runWorkers(this.hostQueue, n, tracked('ContainerHost', (k) => hosts.reconcile(k)), onError('host')),
        runWorkers(this.tokenQueue, TOKEN_WORKERS, tracked('AgentToken', async (k) => { await tokens.reconcile(k); }), onError('token')),
      ];
      enqueueAll();
    };
    this.started = true;
    logger.info({ url: this.url, agentUrl: this.agentUrl }, 'controller started');
    if (!this.opts.leadership) { startWorkers(); return; }
    logger.info('waiting to become the leader');
    await this.opts.leadership.start({
      onStartedLeading: () => { logger.info('became the leader: reconciling'); startWorkers(); },
      onStoppedLeading: () => {
        if (this.stopping) return;
        // Back to standby: stop acting (reconciles check isLeader), hand the agents to the new
        // leader (they reconnect through the Service, which follows /readyz), and campaign again.
        logger.warn('lost the leadership: standing by');
        for (const s of this.hub?.sessions() ?? []) this.hub?.disconnect(s.hostKey, 1012, 'this controller is no longer the leader');
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    clearInterval(this.resyncTimer);
    this.unsubscribe?.();
    this.eventStream?.close();
    this.hostQueue.shutDown();
    this.tokenQueue.shutDown();
    this.upgrades?.close();
    await this.logSocket?.close();
    this.logFanout?.close();
    await this.hub?.close();
    await Promise.all(this.workers);
    // Release the lease only once nothing of ours acts any more, so leaders never overlap.
    await this.opts.leadership?.stop();
    await new Promise<void>((resolve) => { if (!this.server) resolve(); else { this.server.close(() => resolve()); this.server.closeAllConnections(); } });
    await this.opts.store.stop();
  }
}
