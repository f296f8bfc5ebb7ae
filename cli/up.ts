// `berth up` (what `npm start` runs): the embedded default. The controller in directory mode on
// examples/local (or --dir) plus an agent on this machine's Docker for every AgentToken there, all in
// one process. Ctrl-C stops Berth; the containers keep running — the state is declarative, and the
// next `berth up` picks them up again.
import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Controller } from '../controller/controller.js';
import { uiTokenAccess } from '../controller/operate/operator-access.js';
import { RestartRequestFile } from '../controller/operate/restart-requests.js';
import { ensureUiToken } from '../controller/operate/ui-token.js';
import { packageRoot } from '../controller/package-root.js';
import { agentTokenSecretName } from '../controller/api/types.js';
import { DirectoryStore } from '../controller/store/dir/dir-store.js';
import { VERSION } from '../controller/version.js';
import { CEILING_HELP, CEILING_OPTIONS, ceilingArgs } from '../agent/ceiling-config.js';
import { describeCeiling } from '../agent/ceiling.js';
import { runAgent } from './agent.js';
import { agentCeilingFromCli } from './agent-ceiling.js';
import { untilSignal } from './controller.js';
import { checkLogLevel, isLoopback, parseListen } from './listen.js';
import { HostAllowlist } from '../controller/http/host-allowlist.js';
import { UsageError } from './usage.js';

export const UP_HELP = `Usage: berth up [options]

Runs Berth on one machine with no cluster: the controller in directory mode plus, for every
AgentToken in the manifests, an agent that drives this machine's Docker Engine (DOCKER_HOST is
honoured). Prints the URL of the status page and API. Edit the manifests while it runs: changes
apply within a second. Ctrl-C stops Berth; containers keep running.

Options:
  --dir PATH         manifests (default: the package's examples/local)
  --state DIR        controller state: status, signing key, agent tokens (default .berth/state)
  --listen ADDR      status page, API and agent endpoint, loopback only (default 127.0.0.1:7070)
  --no-agent         run the controller only
  --allow-exec       let \`berth exec\` into this machine's managed containers (off by default)
  --host-root DIR    for the agents: where the host's "/" is visible (see berth agent --help)
  --log-level LEVEL  trace, debug, info, warn (default), error
  -h, --help         show this help

The agents get the policy ceiling below. The examples Berth ships need none of it (ordinary
containers, named volumes, published ports), so the default, deny all, runs them; a ContainerHost that
needs more is refused with the reason in its status until you allow it here.

${CEILING_HELP}`;

async function waitForFile(path: string, timeoutMs: number): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end;) {
    if (existsSync(path)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return existsSync(path);
}

export async function runUp(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      dir: { type: 'string', multiple: true }, state: { type: 'string' }, listen: { type: 'string' },
      'no-agent': { type: 'boolean' }, 'allow-exec': { type: 'boolean' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      ...CEILING_OPTIONS, 'host-root': { type: 'string' },
    },
  });
  if (values.help) { console.log(UP_HELP); return 0; }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const dirs = (values.dir ?? [join(packageRoot, 'examples/local')]).map((d) => resolve(d));
  for (const d of dirs) if (!existsSync(d)) throw new UsageError(`no such file or directory: ${d}`);
  const state = resolve(values.state ?? '.berth/state');
  const listen = parseListen(values.listen ?? '127.0.0.1:7070');
  // `berth up` has no sign-in: it serves this machine only (multi-machine: `berth controller --ui-auth token`).
  if (!isLoopback(listen.host)) throw new UsageError(`--listen ${values.listen ?? ''}: berth up serves loopback only (it has no sign-in); to reach the page from other machines run \`berth controller --ui-auth token\` (docs/quick-start.md)`);
  const level = checkLogLevel(values['log-level'] ?? 'warn');
  const logger = pino({ level, base: { component: 'controller' } });
  // Checked before anything starts; the agents get it back as flags.
  const { ceiling } = await agentCeilingFromCli(values, process.env);
  const agentCeiling = [...ceilingArgs(ceiling), ...(values['host-root'] ? ['--host-root', values['host-root']] : [])];

  const store = new DirectoryStore({ paths: dirs, stateDir: state, logger: logger.child({ component: 'store' }) });
  // `berth exec`/`berth restart` work here too, with the UI token from the state directory.
  const uiToken = await ensureUiToken(state);
  const controller = new Controller({ store, logger, version: VERSION, listen, hostAllowlist: new HostAllowlist({ listenHost: listen.host }), operator: { access: uiTokenAccess(() => uiToken), restarts: new RestartRequestFile(join(state, 'restarts.json')) } });
  await controller.start();

  const stop = untilSignal();
  const agents: Array<Promise<number>> = [];
  const lines: string[] = [];
  if (!values['no-agent']) {
    for (const token of store.tokens()) {
      const file = join(state, 'tokens', token.metadata.namespace, `${agentTokenSecretName(token)}.token`);
      if (!(await waitForFile(file, 10_000))) { console.error(`berth up: no token was minted for AgentToken ${token.metadata.namespace}/${token.metadata.name} (${file})`); continue; }
      const host = `${token.metadata.namespace}/${token.spec.hostRef.name}`;
      agents.push(runAgent(['--url', controller.agentUrl, '--token-file', file, '--log-level', level, ...(values['allow-exec'] ? ['--allow-exec'] : []), ...agentCeiling], {
        until: stop, log: pino({ level, base: { component: 'agent', host } }),
      }));
      lines.push(`  agent:      host ${host} on ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}`);
    }
  }
  if (agents.length) {
    const allowed = Object.entries(describeCeiling(ceiling)).filter(([, v]) => v === true || (Array.isArray(v) && v.length)).map(([k, v]) => (v === true ? k : `${k} ${(v as string[]).join(',')}`));
    lines.push(`  ceiling:    ${allowed.length ? allowed.join('; ') : 'deny all (no privileged, host network, host paths, …; see berth up --help)'}`);
  }
  const nice = (p: string) => { const r = relative(process.cwd(), p); return r === '' ? '.' : r.startsWith('..') ? p : r; };
  const shown = dirs.map(nice).join(', ');
  console.log([
    `Berth ${VERSION} is running.`,
    `  status:     ${controller.address}/   (the status page; API ${controller.address}/api/v1/hosts, health /healthz, metrics /metrics)`,
    `  manifests:  ${shown}  (edit them; changes apply within a second)`,
    `  state:      ${nice(state)}`,
    ...lines,
    'Ctrl-C stops Berth; the containers keep running.',
  ].join('\n'));

  await stop;
  console.log('stopping Berth (containers keep running)…');
  await Promise.all(agents);
  await controller.stop();
  return 0;
}
