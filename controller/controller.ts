// The controller process, wired together here and nothing more: one store, one HTTP server (API,
// status page, agent WebSocket endpoint, log socket), the agent hub, the log fan-out, and two
// reconcile loops (hosts, tokens). Everything that happens — a resource change, an agent
// connecting, a result — only enqueues a key; the reconcilers do the rest, while we lead.
import { wirePolicy } from '../protocol/policy.js';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { createListener, listenOn, type Listener } from './tls/servers.js';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { keyOf, splitKey, type ResourceKey } from './api/types.js';
import { join } from 'node:path';
import { anonymousAccess, type AccessControl } from './http/access.js';
import { createApi } from './http/api.js';
import { PageFeed } from './http/page-feed.js';
import { UpgradeRouter } from './http/upgrade-router.js';
import { upgradeLimit } from './http/request-limits.js';
import { AgentHub } from './hub/hub.js';
import { AGENT_CONNECT_PATH } from '../protocol/connect.js';
import { CLOSE } from '../protocol/frames.js';
import { LogFanout } from './logs/fanout.js';
import { LogSocket } from './http/log-socket.js';
import { registerFleetMetrics } from './metrics/fleet-metrics.js';
import { packageRoot } from './package-root.js';
import { HostReconciler } from './reconcile/host-reconciler.js';
import { DigestPoller } from './images/digest-poller.js';
import { HostImageFollower } from './images/host-follower.js';
import { registryResolver } from './images/registry-digest.js';
import { ReconcileLoop, ReconcileMetrics } from './reconcile/loop.js';
import { SetReconciler } from './reconcile/set-reconciler.js';
import { declaredNames } from './reconcile/set-merge.js';
import { routeSetChange } from './reconcile/set-routing.js';
import { TokenReconciler } from './reconcile/token-reconciler.js';
import { conflictingTokens } from './reconcile/token-secret-owner.js';
import type { Store, StoreChange } from './store/store.js';
import { ExecRelay } from './operate/exec-relay.js';
import { ExecSocket } from './operate/exec-socket.js';
import { noOperatorAccess, type OperatorAccess } from './operate/operator-access.js';
import { handleRestart, RESTART_PATH } from './operate/restart-route.js';
import { generateSigningKey, importSigningKey, importVerificationKey, type SigningKey, type VerificationKey } from './tokens/signing-key.js';
import { AgentAuthenticator } from './enrollment/agent-auth.js';
import { SessionRecheck } from './tokens/session-recheck.js';
import { StatsService } from './stats/stats-service.js';
import { specHashKey } from './tokens/spec-hash-key.js';
import type { ControllerOptions } from './controller-options.js';

export type { ControllerOptions } from './controller-options.js';

/**
 * Token reconciles are short but wait on I/O (token files or Secrets) several times each; with 2
 * workers a cold start with thousands of AgentTokens minted ~50 tokens/s while host reconciles kept
 * the event loop busy (bench/scale), and agents cannot connect before their token exists.
 */
const TOKEN_WORKERS = 8;

export class Controller {
  readonly registry: Registry;
  private server?: Server;
  private listeners: Listener[] = [];
  private agentServerUrl?: string;
  private hub?: AgentHub;
  private upgrades?: UpgradeRouter;
  private logFanout?: LogFanout;
  private logSocket?: LogSocket;
  private execRelay?: ExecRelay;
  private execSocket?: ExecSocket;
  private signing?: SigningKey;
  private verification?: VerificationKey;
  /** The spec hashes' HMAC key, derived from the signing key (tokens/spec-hash-key.ts). */
  private hashKey?: Buffer;
  private hostLoop?: ReconcileLoop<ResourceKey>;
  /** The host reconciler, for the planner-input route (GET /api/v1/hosts/NS/NAME/observed). */
  private hostReconciler?: HostReconciler;
  private tokenLoop?: ReconcileLoop<ResourceKey>;
  private tokenReconciler?: TokenReconciler;
  /**
   * Issue 13: the tags followed by digest (hosts' and sets' imageUpdates.policy: Poll), one poller
   * for both. Owners are "ContainerHost/<ns>/<name>" and "ContainerSet/<ns>/<name>"; a moved tag
   * enqueues them.
   */
  readonly imageDigests = new DigestPoller({
    resolve: registryResolver(),
    onChange: (owners) => {
      for (const k of HostImageFollower.hostKeys(owners)) this.hostLoop?.add(k);
      for (const o of owners) if (o.startsWith('ContainerSet/')) this.setLoop?.add(o.slice('ContainerSet/'.length));
    },
    log: (line) => this.opts.logger.info({ component: 'image-digests' }, line),
  });
  private recheck?: SessionRecheck;
  private setLoop?: ReconcileLoop<ResourceKey>;
  private unwatchSets?: () => void;
  private unsubscribe?: () => void;
  private started = false;
  private stopping = false;
  private url = '';
  private pageFeed?: PageFeed;
  private statsService?: StatsService;
  private app?: Express;

  constructor(private readonly opts: ControllerOptions) {
    this.registry = opts.registry ?? new Registry();
  }

  /** The http://host:port the controller serves on (after start). */
  get address(): string { return this.url; }
  get agentUrl(): string { return this.opts.agentUrl ?? (this.agentServerUrl ?? this.url).replace(/^http/, 'ws'); }
  /** The express app of the HTTP surface (after start), for the test that enumerates its routes. */
  get httpApp(): Express | undefined { return this.app; }
  /** The access control every read goes through (the log socket takes it too). */
  get access(): AccessControl { return this.opts.access ?? anonymousAccess; }

  /** A replica that does not lead: it serves reads but neither reconciles nor accepts agents. */
  private get standby(): boolean { return this.opts.leadership !== undefined && !this.opts.leadership.isLeader(); }

  async start(): Promise<void> {
    const { logger } = this.opts;
    const { store } = this.opts;
    collectDefaultMetrics({ register: this.registry });
    registerFleetMetrics(this.registry, { version: this.opts.version, isLeader: () => !this.standby, hosts: () => store.hosts(), tokens: () => store.tokens() });
    await store.start();
    const material = await store.signingKey(generateSigningKey);
    this.signing = await importSigningKey(material);
    this.hashKey = specHashKey(material);
    this.verification = await importVerificationKey(material);

    const app = this.createHttpApp(store);
    // Operator actions live beside, not in, the read-only API the page uses (controller/operate/).
    const allowlist = this.opts.hostAllowlist;
    const main = createListener((req, res) => {
      if (allowlist && !allowlist.checkRequest(req, res)) return;
      if (req.url === RESTART_PATH || req.url?.startsWith(`${RESTART_PATH}?`)) {
        handleRestart(req, res, {
          access: this.operatorAccess, ...(this.opts.operator?.restarts ? { requests: this.opts.operator.restarts } : {}),
          host: (key) => store.host(key), recordEvent: (key, e) => store.recordEvent('ContainerHost', key, e), enqueue: (key) => this.hostLoop?.add(key),
        }).catch((err: unknown) => { logger.error({ err: (err as Error)?.message }, 'restart request failed'); if (!res.headersSent) { res.statusCode = 500; res.end(); } });
        return;
      }
      app(req, res);
    }, this.opts.tls);
    this.listeners.push(main);
    this.server = main.server;
    // One upgrade router: the agent endpoint and the browsers' log socket share the server.
    const limited = upgradeLimit({ exempt: [AGENT_CONNECT_PATH] });
    this.upgrades = new UpgradeRouter(this.server, (req, socket) => (!allowlist || allowlist.checkUpgrade(req, socket)) && limited(req, socket));
    const hub = this.hub = this.createHub(store);
    this.upgrades.route(AGENT_CONNECT_PATH, hub.upgradeHandler);
    this.recheck = new SessionRecheck({
      revalidate: (check) => hub.revalidate(check), lookupTokenByUid: (uid) => store.tokenByUid(uid),
      logger: this.opts.logger.child({ component: 'session-recheck' }), ...(this.opts.sessionRecheckMs ? { intervalMs: this.opts.sessionRecheckMs } : {}),
    });
    this.recheck.start();
    this.statsService?.attach(hub);
    this.startLogs(store, hub, this.upgrades);
    this.startExec(store, hub, this.upgrades);
    await this.listen(main, app, hub);

    const loops = this.createLoops(store, hub);
    this.unsubscribe = store.subscribe((change) => this.onStoreChange(store, change));
    // Sets and hosts also hear each other's status writes (assignments, health): watchAll.
    this.unwatchSets = store.watchAll((change) => routeSetChange(store, change, (k) => this.setLoop?.add(k), (k) => this.hostLoop?.add(k)));
    this.started = true;
    logger.info({ url: this.url, agentUrl: this.agentUrl, ...(this.agentServerUrl ? { agentListener: this.agentServerUrl } : {}) }, 'controller started');
    const lead = () => { for (const l of loops) l.lead(); };
    if (!this.opts.leadership) { lead(); return; }
    logger.info('waiting to become the leader');
    await this.opts.leadership.start({
      onStartedLeading: () => { logger.info('became the leader: reconciling'); lead(); },
      onStoppedLeading: () => {
        if (this.stopping) return;
        // Back to standby: abort the reconciles in flight and stop acting, hand the agents to the
        // new leader (they reconnect through the Service, which follows /readyz); the elector
        // campaigns again.
        logger.warn('lost the leadership: standing by');
        for (const l of loops) l.standBy('lost the leadership');
        for (const s of hub.connections()) hub.disconnect(s.hostKey, CLOSE.serviceRestart, 'this controller is no longer the leader');
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.started = false;
    this.unsubscribe?.();
    this.recheck?.stop();
    this.unwatchSets?.();
    this.imageDigests.stop();
    this.pageFeed?.close();
    this.tokenReconciler?.stop();   // deferred lastUsedAt writes: bookkeeping, dropped
    // Aborts the reconciles in flight and takes no more keys; awaited once the hub is closed.
    const loopsStopped = Promise.all([this.hostLoop?.stop(), this.tokenLoop?.stop(), this.setLoop?.stop()]);
    this.upgrades?.close();
    for (const l of this.listeners) l.close();
    await this.logSocket?.close();
    this.execSocket?.close();
    this.execRelay?.close();
    this.logFanout?.close();
    await this.hub?.close();
    await loopsStopped;
    // Release the lease only once nothing of ours acts any more, so leaders never overlap.
    await this.opts.leadership?.stop();
    await Promise.all(this.listeners.map((l) => new Promise<void>((resolve) => { l.server.close(() => resolve()); l.server.closeAllConnections(); })));
    await this.opts.store.stop();
  }

  /** The HTTP surface: JSON API, page feed, status page, health (a standby is not ready). */
  private createHttpApp(store: Store): Express {
    // Liveness from memory: status carries lastSeenAt only once an agent is gone (issue 17).
    const lastSeen = (key: string) => { const c = this.hub?.connection(key); return c?.ready ? c.lastSeenAt : undefined; };
    const pageFeed = this.pageFeed = new PageFeed({ store, watch: (l) => store.watchAll(l), access: this.access, lastSeen, logger: this.opts.logger.child({ component: 'page-feed' }) });
    this.statsService = new StatsService({
      ...this.opts.stats, registry: this.registry, logger: this.opts.logger.child({ component: 'stats' }),
      isDeclared: (key) => store.host(key) !== undefined,
      hostCpus: (key) => { const d = this.hub?.connection(key)?.docker; return d?.ok ? d.cpus : undefined; },
      onSample: (sample) => pageFeed.publishStats(sample),
    });
    return this.app = createApi({
      store, registry: this.registry, version: this.opts.version,
      access: this.access, pageFeed: this.pageFeed, stats: this.statsService, lastSeen,
      ...(this.opts.sessions ? { sessions: this.opts.sessions } : {}),
      webRoot: this.opts.webRoot ?? join(packageRoot, 'dist/web'),
      ready: () => (!this.started ? { ok: false, reason: 'starting' }
        : this.standby ? { ok: false, reason: 'not the leader (standby)' } : { ok: true }),
      events: (kind, key) => store.events(kind, key),
      observed: (key) => this.hostReconciler?.observed(key),
    });
  }

  private createHub(store: Store): AgentHub {
    // Verification, and enrollment for bootstrap tokens' join tokens (controller/enrollment/).
    const agents = new AgentAuthenticator({
      store, signingKey: () => this.signing!, verificationKeys: () => this.verification!, logger: this.opts.logger.child({ component: 'enrollment' }),
    });
    return new AgentHub({
      logger: this.opts.logger.child({ component: 'hub' }), registry: this.registry,
      authenticate: (jwt, ctx) => {
        // A standby answers 503 (the hub's answer when authenticate throws): agents back off and the
        // Service, reading /readyz, sends them to the leader.
        if (this.standby) throw new Error('this controller is not the leader');
        return agents.authenticate(jwt, ctx);
      },
      welcomeFor: (hostKey) => {
        const host = store.host(hostKey);
        if (!host) return undefined;
        return { host: { ...splitKey(hostKey), uid: host.metadata.uid }, policy: wirePolicy(host.spec.policy), resyncSeconds: this.opts.hubOptions?.resyncSeconds ?? 300 };
      },
      ...this.opts.hubOptions,
    });
  }

  /** The log fan-out (agents' log streams → viewers) and the browsers' log socket. */
  private startLogs(store: Store, hub: AgentHub, upgrades: UpgradeRouter): void {
    const { logger } = this.opts;
    const containersOf = (namespace: string, name: string): string[] | undefined => declaredNames(store.host(`${namespace}/${name}`), store.sets());
    this.logFanout = new LogFanout({
      hub, registry: this.registry, logger: logger.child({ component: 'logs' }), ...this.opts.logs,
      isDeclared: (t) => containersOf(t.namespace, t.host)?.includes(t.container) ?? false,
    });
    this.logSocket = new LogSocket({
      fanout: this.logFanout, containersOf, access: this.access, logger: logger.child({ component: 'logs' }),
      ...(this.opts.logs?.accessRecheckMs ? { accessRecheckMs: this.opts.logs.accessRecheckMs } : {}),
    });
    upgrades.route(this.logSocket.path, this.logSocket.handleUpgrade);
  }

  private get operatorAccess(): OperatorAccess { return this.opts.operator?.access ?? noOperatorAccess; }

  /** `berth exec`: the operator's socket and the relay to the agents (controller/operate/). */
  private startExec(store: Store, hub: AgentHub, upgrades: UpgradeRouter): void {
    const logger = this.opts.logger.child({ component: 'exec' });
    this.execRelay = new ExecRelay(hub, logger);
    this.execSocket = new ExecSocket({
      relay: this.execRelay, access: this.operatorAccess, logger,
      containersOf: (namespace, name) => declaredNames(store.host(`${namespace}/${name}`), store.sets()),
      isConnected: (key) => hub.isConnected(key),
      recordEvent: (key, e) => store.recordEvent('ContainerHost', key, e),
    });
    upgrades.route(this.execSocket.path, this.execSocket.handleUpgrade);
  }

  private async listen(main: Listener, app: Express, hub: AgentHub): Promise<void> {
    this.url = await listenOn(main, this.opts.listen);
    const at = this.opts.agentListen;
    if (!at) return;
    // The agent listener answers the agent endpoint and health only: nothing of the page or API.
    const allowlist = this.opts.hostAllowlist;
    const agents = createListener((req, res) => {
      if (allowlist && !allowlist.checkRequest(req, res)) return;
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz' || path === '/readyz') { app(req, res); return; }
      res.statusCode = 404;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: 'NotFound', message: 'this listener serves the agent endpoint only' }));
    }, at.tls ?? this.opts.tls);
    this.listeners.push(agents);
    const router = new UpgradeRouter(agents.server, allowlist ? (req, socket) => allowlist.checkUpgrade(req, socket) : undefined);
    router.route(AGENT_CONNECT_PATH, hub.upgradeHandler);
    try { this.agentServerUrl = await listenOn(agents, at); } catch (err) {
      // Say which listener: the CLI's start error otherwise names --listen.
      const e = err as NodeJS.ErrnoException;
      const why = e.code === 'EADDRINUSE' ? 'the address is already in use' : e.code === 'EADDRNOTAVAIL' ? 'no such address on this machine' : e.message;
      throw new Error(`--agent-listen ${at.host.includes(':') ? `[${at.host}]` : at.host}:${at.port}: ${why}`);
    }
  }

  /** The two reconcilers, each in its loop (which gates on leadership, backs off, resyncs, measures). */
  private createLoops(store: Store, hub: AgentHub): ReconcileLoop<ResourceKey>[] {
    const { logger } = this.opts;
    const metrics = new ReconcileMetrics(this.registry);
    const common = { metrics, logger, resyncMs: this.opts.resyncMs ?? 5 * 60_000, ...(this.opts.leadership ? { isLeader: () => !this.standby } : {}) };
    const restarts = this.opts.operator?.restarts;
    const hosts = new HostReconciler(store, hub, (k) => this.hostLoop?.add(k), logger.child({ component: 'hosts' }), this.registry, undefined,
      restarts ? (key) => restarts.get(key) : undefined, new HostImageFollower(this.imageDigests, (ns, name) => store.secret(ns, name)), this.hashKey);
    this.imageDigests.start();
    this.hostReconciler = hosts;
    const tokens = new TokenReconciler(store, hub, () => this.signing!, () => this.agentUrl, logger.child({ component: 'tokens' }));
    this.tokenReconciler = tokens;
    this.hostLoop = new ReconcileLoop({
      ...common, kind: 'ContainerHost', queue: 'hosts', logKey: 'host', reconciler: hosts, workers: this.opts.workers ?? 4,
      keys: () => store.hosts().map((h) => keyOf(h.metadata)),
    });
    this.tokenLoop = new ReconcileLoop({
      ...common, kind: 'AgentToken', queue: 'tokens', logKey: 'token', reconciler: tokens, workers: TOKEN_WORKERS,
      keys: () => store.tokens().map((t) => keyOf(t.metadata)),
    });
    // imageUpdates.policy: Poll — the one poller (imageDigests) re-reconciles the sets whose tags moved.
    const sets = new SetReconciler(store, (k) => this.hostLoop?.add(k), logger.child({ component: 'sets' }), this.registry, undefined, this.imageDigests, this.hashKey);
    this.setLoop = new ReconcileLoop({
      ...common, kind: 'ContainerSet', queue: 'sets', logKey: 'set', reconciler: sets, workers: 2,
      keys: () => store.sets().map((s) => keyOf(s.metadata)),
    });
    return [this.hostLoop, this.tokenLoop, this.setLoop];
  }

  /** A store change only enqueues the keys it concerns (level-triggered). */
  private onStoreChange(store: Store, change: StoreChange): void {
    if (change.kind === 'ContainerHost') {
      this.hostLoop?.add(change.key);
      this.logFanout?.recheck(change.key);
      if (!store.host(change.key)) this.statsService?.forget(change.key);
    }
    else if (change.kind === 'AgentToken') {
      this.tokenLoop?.add(change.key);
      this.recheck?.soon();
      // A token refused for another's secretName may take it now (token-secret-owner.ts).
      for (const key of conflictingTokens(store.tokens(), splitKey(change.key).namespace)) this.tokenLoop?.add(key);
    }
    else if (change.kind === 'ContainerSet') this.setLoop?.add(change.key);   // its hosts: routeSetChange
    else {
      // A Secret or ConfigMap changed: every host in its namespace that may reference it looks again.
      const { namespace } = splitKey(change.key);
      for (const h of store.hosts()) if (h.metadata.namespace === namespace) this.hostLoop?.add(keyOf(h.metadata));
    }
  }
}
