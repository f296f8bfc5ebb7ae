// `berth agent`: run the agent of one ContainerHost on this machine. It dials out to the controller
// with the host's token and drives the local Docker Engine (DOCKER_HOST is honoured).
import { readFileSync } from 'node:fs';
import { arch, hostname, platform } from 'node:os';
import { parseArgs } from 'node:util';
import { createLogger, LOG_LEVELS, type AgentLogger as Logger, type LogLevel } from '../agent/logger.js';
import type { Backoff } from '../protocol/backoff.js';
import { AgentClient, connectUrl } from '../agent/client.js';
import { DockerLogStreams } from '../agent/docker-logs.js';
import { DockerExecs } from '../agent/exec.js';
import { DockerRuntime } from '../agent/docker-runtime.js';
import { DockerStats } from '../agent/docker-stats.js';
import { StatsReporter } from '../agent/stats-reporter.js';
import { DEFAULT_STATS_INTERVAL_S, MAX_STATS_INTERVAL_S, MIN_STATS_INTERVAL_S } from '../protocol/stats.js';
import { readTokenClaims } from '../agent/token.js';
import { connectToken, defaultCredentialPath, readCredential, storeCredential } from '../agent/credential.js';
import type { WelcomeFrame } from '../protocol/frames.js';
import { checkPlaintext, findCaFile, readCaFile } from '../agent/transport-security.js';
import { agentVersion } from '../agent/version.js';
import { CEILING_HELP, CEILING_OPTIONS } from '../agent/ceiling-config.js';
import { describeCeiling } from '../agent/ceiling.js';
import { agentCeilingFromCli, HOST_ROOT_HELP } from './agent-ceiling.js';
import { UsageError } from './usage.js';

export const AGENT_HELP = `Usage: berth agent --url URL --token-file FILE [options]

Runs the Berth agent for one ContainerHost on this machine: it connects out to the controller over
WebSocket, reports the containers Berth manages here, and creates, starts, stops and removes them in
the local Docker Engine as the controller asks. It reconnects forever, with backoff.

Options:
  --url URL            the controller's agent URL (wss:// or https://; ws:// and http:// only to
                       this machine, or with --insecure-plaintext); env BERTH_URL
  --ca-file FILE       the CA to verify the controller's certificate with (PEM); default: ca.crt
                       beside the token file when there is one (the controller writes it there
                       with --tls auto / --tls-ca), else the system's CAs. The certificate is
                       always verified; env BERTH_CA_FILE
  --insecure-plaintext allow ws:// to another machine: the token, secret values and every
                       command travel in the clear (only on a network you trust completely);
                       env BERTH_INSECURE_PLAINTEXT=true
  --token-file FILE    file holding the agent token (the AgentToken's Secret, key "token");
                       re-read on every reconnect, so a rotated token is picked up;
                       env BERTH_TOKEN_FILE, or the token itself in env BERTH_TOKEN
  --credential-file FILE
                       where the agent keeps the long-lived credential it gets for a one-time
                       join token (an AgentToken with spec.bootstrap): written 0600 on the first
                       connection and used from then on, also after restarts; default next to
                       the token file (box-1.token -> box-1.credential); env BERTH_CREDENTIAL_FILE
  --log-level LEVEL    trace, debug, info (default), warn, error; env BERTH_LOG_LEVEL
  --stop-timeout SECS  on SIGTERM, how long in-flight actions may finish (default 30)
  --allow-exec         allow \`berth exec\` into this host's managed containers (off by default:
                       the machine's owner decides, not the ContainerHost's author; every exec
                       is still authorized by the controller and recorded as an Event);
                       env BERTH_ALLOW_EXEC=true
  --stats-interval SECS
                       seconds between two resource samples (CPU, memory, network, block
                       I/O, pids) of each running managed container (default 10, ${MIN_STATS_INTERVAL_S}..${MAX_STATS_INTERVAL_S};
                       0 sends none); env BERTH_STATS_INTERVAL
${HOST_ROOT_HELP}
  -h, --help           show this help

${CEILING_HELP}

The Docker Engine is the one DOCKER_HOST names (default unix:///var/run/docker.sock). Without it
the agent still connects and reports "Docker unavailable", and keeps retrying.

Exit status: 0 after SIGTERM/SIGINT, 2 usage error (missing URL or token, unreadable token).`;

export interface RunAgentOptions {
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Resolves when the agent should stop (default: SIGTERM or SIGINT). */
  until?: Promise<unknown>;
  /**
   * Reconnect pacing (default: the design's 0.5 s → 30 s, reset after 60 s stable). Only the chaos
   * tests pass one: they cut connections faster than the 60 s that resets the attempts.
   */
  backoff?: Backoff;
}

export async function runAgent(argv: string[], opts: RunAgentOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      url: { type: 'string' }, 'token-file': { type: 'string' }, 'credential-file': { type: 'string' }, 'log-level': { type: 'string' },
      'stop-timeout': { type: 'string' }, 'allow-exec': { type: 'boolean' }, 'ca-file': { type: 'string' }, 'insecure-plaintext': { type: 'boolean' },
      'stats-interval': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      ...CEILING_OPTIONS, 'host-root': { type: 'string' },
    },
  });
  if (values.help) { console.log(AGENT_HELP); return 0; }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);

  const url = values.url ?? env.BERTH_URL;
  if (!url) throw new UsageError('the controller URL is missing: pass --url or set BERTH_URL');
  const insecurePlaintext = values['insecure-plaintext'] === true || env.BERTH_INSECURE_PLAINTEXT === 'true';
  try { checkPlaintext(connectUrl(url), insecurePlaintext); } catch (err) { throw new UsageError((err as Error).message); }

  const tokenFile = values['token-file'] ?? env.BERTH_TOKEN_FILE;
  const inlineToken = env.BERTH_TOKEN;
  if (!tokenFile && !inlineToken) throw new UsageError('the agent token is missing: pass --token-file or set BERTH_TOKEN_FILE or BERTH_TOKEN');
  const readToken = (): string => {
    if (!tokenFile) return inlineToken!.trim();
    return readFileSync(tokenFile, 'utf8').trim();
  };
  // Enrollment: a stored credential (from an earlier join) wins over the token; a join token needs
  // somewhere to keep the credential it is exchanged for.
  const credentialFile = values['credential-file'] ?? env.BERTH_CREDENTIAL_FILE ?? (tokenFile ? defaultCredentialPath(tokenFile) : undefined);
  let credential: string | undefined;
  try { credential = credentialFile ? readCredential(credentialFile) : undefined; } catch (err) { throw new UsageError((err as Error).message); }
  // The host identity comes from the token's `sub`; a token we cannot read or parse now is a
  // usage error (fix it and start again), while later read errors are retried.
  let hostKey: string;
  try {
    const claims = readTokenClaims(connectToken(credential, readToken));
    hostKey = claims.sub;
    if (claims.use === 'join' && !credentialFile) throw new UsageError('a join token in BERTH_TOKEN needs --credential-file (or BERTH_CREDENTIAL_FILE): where to keep the credential it is exchanged for');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(tokenFile && (err as NodeJS.ErrnoException).code ? `cannot read the token file ${tokenFile}: ${(err as Error).message}` : (err as Error).message);
  }

  // The CA is read once: a controller CA is long-lived (a rotated server certificate keeps its CA).
  const caFile = findCaFile(values['ca-file'] ?? env.BERTH_CA_FILE, tokenFile);
  let ca: string | undefined;
  if (caFile) { try { ca = readCaFile(caFile); } catch (err) { throw new UsageError((err as Error).message); } }

  const stopTimeoutS = values['stop-timeout'] === undefined ? 30 : Number(values['stop-timeout']);
  if (!Number.isFinite(stopTimeoutS) || stopTimeoutS < 0) throw new UsageError('--stop-timeout must be a number of seconds');

  const statsRaw = values['stats-interval'] ?? env.BERTH_STATS_INTERVAL;
  const statsInterval = statsRaw === undefined ? DEFAULT_STATS_INTERVAL_S : Number(statsRaw);
  if (!Number.isInteger(statsInterval) || (statsInterval !== 0 && (statsInterval < MIN_STATS_INTERVAL_S || statsInterval > MAX_STATS_INTERVAL_S))) {
    throw new UsageError(`--stats-interval must be a whole number of seconds from ${MIN_STATS_INTERVAL_S} to ${MAX_STATS_INTERVAL_S}, or 0 for no stats (got "${statsRaw}")`);
  }

  const level = values['log-level'] ?? env.BERTH_LOG_LEVEL ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`unknown log level "${level}"`);
  // The token never reaches a log line: it only goes into the Authorization header.
  const log = opts.log ?? createLogger({ level: level as LogLevel, base: { component: 'agent', host: hostKey } });

  // The machine owner's ceiling: default deny; the ContainerHost's policy can only narrow it.
  const { ceiling, hostView } = await agentCeilingFromCli(values, env);
  const runtime = new DockerRuntime({ hostKey, log, ceiling, ...(hostView ? { hostView } : {}) });
  const allowExec = values['allow-exec'] === true || env.BERTH_ALLOW_EXEC === 'true';
  const client = new AgentClient({
    url, log, runtime, logs: new DockerLogStreams({ hostKey, log }),
    ...(allowExec ? { execs: new DockerExecs({ hostKey, log }) } : {}),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(statsInterval > 0 ? { stats: new StatsReporter(new DockerStats({ hostKey, log }), statsInterval, log) } : {}),
    // rejectUnauthorized stays at its default (true): there is no flag that turns verification off.
    ...(ca ? { wsOptions: { ca } } : {}),
    token: () => {
      const token = connectToken(credential, readToken);
      const sub = readTokenClaims(token).sub;
      if (sub !== hostKey) log.warn({ tokenHost: sub, host: hostKey }, 'the token now names a different host; restart the agent to serve it (still filtering by the first host)');
      return token;
    },
    agent: { version: await agentVersion(), hostname: hostname(), os: platform(), arch: arch() },
  });

  client.on('welcome', (frame: WelcomeFrame) => {
    if (!frame.credential || !credentialFile) return;
    credential = frame.credential;   // used from the next connection on, stored or not
    storeCredential(credentialFile, frame.credential).then(
      () => log.info({ credentialFile }, 'enrolled: the long-lived credential is stored; the join token is no longer needed'),
      (err: unknown) => log.error({ err: (err as Error).message }, 'enrolled, but the credential could not be stored: this agent cannot reconnect after a restart; fix the path and rotate the AgentToken for a new join token'),
    );
  });
  log.info({ url: connectUrl(url), caFile: caFile ?? (url.startsWith('ws:') || url.startsWith('http:') ? undefined : 'system CAs'), allowExec, statsInterval, ceiling: describeCeiling(ceiling), hostRoot: hostView ? (hostView.kind === 'root' ? hostView.root : 'none') : 'detect', dockerHost: env.DOCKER_HOST ?? 'unix:///var/run/docker.sock', ...(credential ? { credentialFile } : {}) }, 'berth agent starting');
  client.start();

  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  let onSignal: ((signal: NodeJS.Signals) => void) | undefined;
  const stopRequested = opts.until ?? new Promise<unknown>((resolve) => {
    onSignal = (signal) => { log.info({ signal }, 'stopping'); resolve(signal); };
    for (const s of signals) process.once(s, onSignal);
  });
  try {
    await stopRequested;
    await client.stop(stopTimeoutS * 1000);
  } finally {
    if (onSignal) for (const s of signals) process.removeListener(s, onSignal);
  }
  return 0;
}
