// `berth controller`: the controller process on its own (directory mode here; --kube arrives with
// Kubernetes mode).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Controller } from '../controller/controller.js';
import { DirectoryStore } from '../controller/store/dir/dir-store.js';
// Only the limits' defaults (no client-node): the Kubernetes modules are loaded in Kubernetes mode only.
import { DEFAULT_RATE_LIMITS } from '../controller/kube/request-lanes.js';
import { Registry } from 'prom-client';
import type { KubeAccessControl } from '../controller/http/kube-access.js';
import { VERSION } from '../controller/version.js';
import { checkLogLevel, isLoopback, parseListen } from './listen.js';
import { parseTlsArgs, setupTls, TLS_HELP, TLS_OPTIONS } from './controller-tls.js';
import { CliError } from './ops/errors.js';
import { UsageError } from './usage.js';
import { parseStatsOptions, STATS_HELP, STATS_OPTIONS } from './stats-options.js';
import { join } from 'node:path';
import { ensureUiToken, UI_TOKEN_FILE } from '../controller/operate/ui-token.js';
import { kubeOperatorAccess, uiTokenAccess } from '../controller/operate/operator-access.js';
import { RestartRequestFile } from '../controller/operate/restart-requests.js';
import { checkPublicName, HostAllowlist } from '../controller/http/host-allowlist.js';
import { UiTokenAccessControl } from '../controller/http/token-access.js';

export const CONTROLLER_HELP = `Usage: berth controller --dir PATH [--dir PATH...] [options]
       berth controller --kube [--namespace NS] [options]

Directory mode (--dir): ContainerHost, AgentToken and v1 Secret manifests are read from the given
directories and files (recursively, multi-document, watched) and validated with the CRD schemas. A
file that fails to parse or validate is reported (GET /api/v1/sources) and its resources keep their
last good version: a broken file never deletes a container.

Kubernetes mode (--kube): resources come from the cluster (the CRDs in crds/ must be installed);
status goes to the status subresource, tokens to Secrets, Events are recorded, and a Lease elects
one leader among replicas — only the leader reconciles and accepts agents (/readyz is 503 on the
others).

Options:
  --dir PATH           manifests to serve (repeatable)
  --state DIR          directory mode: status, uids, signing key, agent tokens (default .berth/state)
  --kube               Kubernetes mode
  --kubeconfig FILE    Kubernetes mode: kubeconfig (default KUBECONFIG, ~/.kube/config or in-cluster)
  --namespace NS       Kubernetes mode: watch only this namespace (default: all namespaces)
  --controller-namespace NS
                       Kubernetes mode: where the signing-key Secret and the Lease live
                       (default POD_NAMESPACE, else berth-system; it must exist)
  --kube-api-qps N     Kubernetes mode: client-side requests per second to the apiserver
                       (default 100; 0 = no client-side limit). When saturated, token Secrets
                       and AgentToken status go first, then hosts, then Events
  --kube-api-burst N   Kubernetes mode: requests that may go at once before qps paces them (default 200)
  --lease-name NAME    Kubernetes mode: the leader-election Lease (default berth-controller)
  --ui-auth MODE       who may read the status page, API, event stream and log tails:
                         kubernetes (the default with --kube): a Kubernetes bearer token (header,
                           or presented once on the page for a session cookie), checked with
                           TokenReview and SubjectAccessReview (get containerhosts,
                           containerhosts/logs, agenttokens)
                         token (directory mode): the UI token in <state>/ui-token, sent as a
                           bearer header or pasted once on the page for a session cookie; needed
                           to --listen on anything but loopback
                         none: anyone who can reach --listen (the default in directory mode,
                           where it is loopback only; with --kube only when given explicitly)
  --listen ADDR        API, status page and agent endpoint (default 127.0.0.1:7070)
  --public-name NAME   a name (DNS name or IP) the controller is reached under, besides the
                       loopback names, the --listen/--agent-listen addresses, the --agent-url
                       host and --tls-san names (repeatable); a request naming any other Host is
                       answered 421 (DNS rebinding). Directory mode always checks; with --kube
                       only when given
  --agent-url URL      the URL agents dial, written next to each token (default ws(s)://<agent
                       listener>: give it when listening on all addresses)
  --workers N          parallel host reconciles (default 4; with --kube 16: each waits for its
                       status PATCH, and 16 reached the apiserver's own limit in bench/scale)
  --log-grace SECS     how long a container's agent log stream stays open after its last
                       viewer left, for a reload or a second tab (default 10)
  --log-level LEVEL    trace, debug, info (default), warn, error
${STATS_HELP}
  -h, --help           show this help

${TLS_HELP}

Directory mode writes agent tokens to <state>/tokens/<namespace>/<secret>.token (mode 0600);
Kubernetes mode writes them to the Secret each AgentToken names (key "token", beside "url"); with TLS the CA goes beside them (ca.crt).`;

export function parseControllerArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      dir: { type: 'string', multiple: true }, state: { type: 'string' }, listen: { type: 'string' },
      'agent-url': { type: 'string' }, workers: { type: 'string' }, 'log-level': { type: 'string' }, 'log-grace': { type: 'string' },
      kube: { type: 'boolean' }, kubeconfig: { type: 'string' }, namespace: { type: 'string' },
      'controller-namespace': { type: 'string' }, 'lease-name': { type: 'string' }, 'kube-api-qps': { type: 'string' }, 'kube-api-burst': { type: 'string' }, 'ui-auth': { type: 'string' }, 'public-name': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
      ...STATS_OPTIONS,
      ...TLS_OPTIONS,
    },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.kube && values.dir?.length) throw new UsageError('--kube and --dir exclude each other: resources come from the cluster or from files');
  if (!values.kube) for (const flag of ['kubeconfig', 'namespace', 'controller-namespace', 'lease-name', 'kube-api-qps', 'kube-api-burst'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} only applies with --kube`);
  }
  const uiAuth = values['ui-auth'] ?? (values.kube ? 'kubernetes' : 'none');
  if (uiAuth !== 'kubernetes' && uiAuth !== 'none' && uiAuth !== 'token') throw new UsageError(`--ui-auth must be kubernetes, token or none, not "${uiAuth}"`);
  if (uiAuth === 'kubernetes' && !values.kube) throw new UsageError('--ui-auth=kubernetes needs --kube (directory mode has no Kubernetes API to ask)');
  if (uiAuth === 'token' && values.kube) throw new UsageError('--ui-auth=token is for directory mode; with --kube the page signs in with Kubernetes tokens (--ui-auth=kubernetes)');
  const publicNames = (values['public-name'] ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean);
  for (const n of publicNames) { const problem = checkPublicName(n); if (problem) throw new UsageError(problem); }
  const listen = parseListen(values.listen ?? '127.0.0.1:7070');
  if (!values.kube && uiAuth === 'none' && !isLoopback(listen.host)) {
    throw new UsageError(`--listen ${values.listen ?? ''}: without sign-in, directory mode serves loopback only — on this address the status page, API, `
      + 'event stream and log tails would be open to the network. Add --ui-auth token (the page then asks for the token in <state>/ui-token), '
      + 'or keep --listen on 127.0.0.1');
  }
  if (values['agent-url'] !== undefined) {
    try { new URL(values['agent-url']); } catch { throw new UsageError(`--agent-url "${values['agent-url']}" is not a URL (e.g. wss://berth.example.org:7070)`); }
  }
  // Kubernetes mode: a reconcile waits for its PATCHes, so 4 workers left the host queue full while
  // the apiserver had room (bench/scale 1,000 hosts: 74.1 s with 4, 44.6 s with 16, whose floor at
  // 16 lanes was 29.6 s against 31.1 s at 4); --kube-api-qps bounds what more workers can send.
  const workers = values.workers === undefined ? (values.kube ? 16 : 4) : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers must be a whole number from 1 to 64');
  const kubeQps = values['kube-api-qps'] === undefined ? DEFAULT_RATE_LIMITS.qps : Number(values['kube-api-qps']);
  if (!Number.isFinite(kubeQps) || kubeQps < 0) throw new UsageError('--kube-api-qps must be a number >= 0 (0 turns the client-side limit off)');
  const kubeBurst = values['kube-api-burst'] === undefined ? DEFAULT_RATE_LIMITS.burst : Number(values['kube-api-burst']);
  if (!Number.isInteger(kubeBurst) || kubeBurst < 1) throw new UsageError('--kube-api-burst must be a whole number >= 1');
  const logGrace = values['log-grace'] === undefined ? 10 : Number(values['log-grace']);
  if (!Number.isFinite(logGrace) || logGrace < 0 || logGrace > 3600) throw new UsageError('--log-grace must be a number of seconds from 0 to 3600');
  return {
    help: values.help === true,
    dirs: (values.dir ?? []).map((d) => resolve(d)),
    state: resolve(values.state ?? '.berth/state'),
    listen,
    publicNames,
    agentUrl: values['agent-url'],
    kube: values.kube === true,
    kubeconfig: values.kubeconfig,
    namespace: values.namespace,
    controllerNamespace: values['controller-namespace'] ?? process.env.POD_NAMESPACE ?? 'berth-system',
    leaseName: values['lease-name'] ?? 'berth-controller',
    kubeRateLimits: { qps: kubeQps, burst: kubeBurst },
    uiAuth: uiAuth as 'kubernetes' | 'token' | 'none',
    workers,
    logGraceMs: Math.round(logGrace * 1000),
    logLevel: checkLogLevel(values['log-level'] ?? 'info'),
    stats: parseStatsOptions(values),
    tls: parseTlsArgs(values, values.kube === true),
  };
}

/** The one line that says why the controller could not start. */
export function startError(err: unknown, listen: { host: string; port: number }): string {
  const e = err as NodeJS.ErrnoException;
  const where = `${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}`;
  if (e?.code === 'EADDRINUSE') return `--listen ${where}: the address is already in use (another controller or \`berth up\`?); choose another with --listen`;
  if (e?.code === 'EADDRNOTAVAIL') return `--listen ${where}: no such address on this machine`;
  if (e?.code === 'EACCES' && e.syscall === 'listen') return `--listen ${where}: permission denied (ports below 1024 need privileges)`;
  if (e?.code === 'ENOTDIR' || (e?.code === 'EEXIST' && e.syscall === 'mkdir')) return `${e.path ?? 'the state directory'}: a file where the state directory (or a directory in it) should be (--state)`;
  if (e?.code === 'EISDIR') return `${e.path ?? 'a state file'}: a directory where a file of the state directory should be (--state)`;
  if (e?.code === 'EACCES' || e?.code === 'EROFS') return `${e.path ?? 'the state directory'}: ${e.code === 'EROFS' ? 'read-only file system' : 'permission denied'} (--state)`;
  return (e instanceof Error ? e.message : String(err)).split('\n')[0]!;
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const on = (s: NodeJS.Signals) => { process.removeListener('SIGINT', on); process.removeListener('SIGTERM', on); resolveSignal(s); };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

/**
 * Timers a user has no flag for, shortened by the end-to-end tests' controller entry
 * (test/support/controller-proc.ts) so a ping window or an access recheck takes a second, not 30 s.
 * The same code path as `berth controller` otherwise.
 */
export interface RunControllerOptions {
  /** The hub's ping interval (two missed pongs end a silent agent's connection). */
  pingIntervalMs?: number;
  /** How often a live log tail's access is asked again. */
  accessRecheckMs?: number;
  /** How long Kubernetes-mode access decisions are cached. */
  accessCacheMs?: number;
  /** How often the TLS files are re-read (default 5 s). */
  tlsPollMs?: number;
  /** How often agents re-send their whole inventory (the welcome's resyncSeconds; default 300). */
  resyncSeconds?: number;
}

export async function runController(argv: string[], seams: RunControllerOptions = {}): Promise<number> {
  const args = parseControllerArgs(argv);
  if (args.help) { console.log(CONTROLLER_HELP); return 0; }
  const logger = pino({ level: args.logLevel, base: { component: 'controller' } });
  const tls = await setupTls(args.tls, { state: args.state, listen: args.listen, logger, ...(args.agentUrl ? { agentUrl: args.agentUrl } : {}), ...(seams.tlsPollMs ? { pollMs: seams.tlsPollMs } : {}) });
  const common = {
    logger, version: VERSION, listen: args.listen, workers: args.workers,
    stats: args.stats,
    logs: { graceMs: args.logGraceMs, ...(seams.accessRecheckMs ? { accessRecheckMs: seams.accessRecheckMs } : {}) },
    ...(seams.pingIntervalMs || seams.resyncSeconds ? { hubOptions: {
      ...(seams.pingIntervalMs ? { pingIntervalMs: seams.pingIntervalMs } : {}), ...(seams.resyncSeconds ? { resyncSeconds: seams.resyncSeconds } : {}),
    } } : {}),
    ...(args.agentUrl ? { agentUrl: args.agentUrl } : {}),
    ...(tls.tls ? { tls: tls.tls } : {}),
    ...(args.tls.agentListen ? { agentListen: { ...args.tls.agentListen, ...(tls.agentTls ? { tls: tls.agentTls } : {}) } } : {}),
  };
  if (args.tls.mode === 'off' && args.tls.agentListen && !['127.0.0.1', '::1', 'localhost'].includes(args.tls.agentListen.host)) {
    logger.warn('--agent-listen without TLS: agents off this machine refuse ws:// (give --tls auto or --tls-cert/--tls-key)');
  }
  const allowlist = new HostAllowlist({
    publicNames: [...args.publicNames, ...args.tls.sans], listenHost: args.listen.host,
    ...(args.tls.agentListen ? { agentListenHost: args.tls.agentListen.host } : {}), ...(args.agentUrl ? { agentUrl: args.agentUrl } : {}),
  });
  let controller: Controller;
  if (args.kube) {
    // Loaded only in Kubernetes mode: @kubernetes/client-node alone costs ~90 MiB of RSS, which a
    // directory-mode controller never uses (issue 17, item 3: 10,000 hosts under 1.5 GiB).
    const [{ loadKubeConfig }, { KubeStore }, { kubeRequestCounter }, { leaseLeadership }, { kubeReviewer }, { KubeAccessControl }] = await Promise.all([
      import('../controller/kube/config.js'), import('../controller/store/kube/kube-store.js'), import('../controller/store/kube/request-metrics.js'),
      import('../controller/leader/leadership.js'), import('../controller/kube/review.js'), import('../controller/http/kube-access.js'),
    ]);
    let kubeConfig;
    try { kubeConfig = loadKubeConfig(args.kubeconfig); } catch (err) { throw new UsageError((err as Error).message); }
    const registry = new Registry();   // shared with the store: berth_kube_requests_total
    const store = new KubeStore({ kubeConfig, rateLimits: args.kubeRateLimits, onRequest: kubeRequestCounter(registry), controllerNamespace: args.controllerNamespace, ...(tls.agentCa ? { agentCa: tls.agentCa } : {}), logger: logger.child({ component: 'store' }), ...(args.namespace ? { namespace: args.namespace } : {}) });
    const leadership = leaseLeadership({ kubeConfig, namespace: args.controllerNamespace, name: args.leaseName, logger: logger.child({ component: 'leader' }) });
    let auth: { access?: KubeAccessControl; sessions?: KubeAccessControl } = {};
    if (args.uiAuth === 'kubernetes') {
      const kubeAuth = new KubeAccessControl({ reviewer: kubeReviewer(kubeConfig), ...(seams.accessCacheMs ? { cacheMs: seams.accessCacheMs } : {}) });
      auth = { access: kubeAuth, sessions: kubeAuth };
    } else logger.warn('--ui-auth=none: the status page, API and log tails are open to anyone who can reach the listen address');
    // Kubernetes mode is reached through Services and Ingresses whose names Berth cannot know, and
    // every read there needs a credential a rebinding page does not have: the allowlist is opt-in.
    controller = new Controller({ ...common, registry, store, leadership, ...auth, ...(auth.access ? { operator: { access: kubeOperatorAccess(auth.access) } } : {}),
      ...(args.publicNames.length ? { hostAllowlist: allowlist } : {}) });
  } else {
    if (args.dirs.length === 0) throw new UsageError('name at least one --dir of manifests, or --kube');
    for (const d of args.dirs) if (!existsSync(d)) throw new UsageError(`no such file or directory: ${d}`);
    const store = new DirectoryStore({ paths: args.dirs, stateDir: args.state, ...(tls.agentCa ? { agentCa: tls.agentCa } : {}), logger: logger.child({ component: 'store' }) });
    // The UI token authorizes `berth exec` and `berth restart` (never anonymous, even on loopback),
    // and with --ui-auth token the page, API and log tails too.
    const uiToken = await ensureUiToken(args.state).catch((err: unknown) => { throw new CliError(`cannot start: ${startError(err, args.listen)}`); });
    const tokenFile = join(args.state, UI_TOKEN_FILE);
    const pageAuth = args.uiAuth === 'token' ? new UiTokenAccessControl({ token: () => uiToken }) : undefined;
    if (pageAuth) logger.info({ file: tokenFile }, 'the status page and API ask for the UI token in this file (--ui-auth token)');
    logger.info({ file: tokenFile }, 'operator actions (berth exec, berth restart) need the UI token in this file');
    logger.info({ names: allowlist.allowed }, 'answering only to these names (Host header); add others with --public-name');
    controller = new Controller({
      ...common, store, hostAllowlist: allowlist, ...(pageAuth ? { access: pageAuth, sessions: pageAuth } : {}),
      operator: { access: uiTokenAccess(() => uiToken), restarts: new RestartRequestFile(join(args.state, 'restarts.json')) },
    });
  }
  try { await controller.start(); } catch (err) {
    // A start-up failure is the operator's to fix (a port in use, the controller namespace missing,
    // RBAC): one line and exit 1, not a stack trace. What did start is stopped (briefly awaited).
    await Promise.race([controller.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 3000).unref())]);
    throw new CliError(`cannot start: ${startError(err, args.listen)}`);
  }
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await controller.stop();
  return 0;
}
