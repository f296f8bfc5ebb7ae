// `berth controller`: the controller process on its own (directory mode here; --kube arrives with
// Kubernetes mode).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Controller } from '../controller/controller.js';
import { DirectoryStore } from '../controller/store/dir-store.js';
import { VERSION } from '../controller/version.js';
import { checkLogLevel, parseListen } from './listen.js';
import { UsageError } from './usage.js';

export const CONTROLLER_HELP = `Usage: berth controller --dir PATH [--dir PATH...] [options]

Runs the Berth controller in directory mode: ContainerHost, AgentToken and v1 Secret manifests are
read from the given directories and files (recursively, multi-document, watched) and validated
with the CRD schemas. A file that fails to parse or validate is reported (GET /api/v1/sources) and its
resources keep their last good version: a broken file never deletes a container.

Options:
  --dir PATH           manifests to serve (repeatable)
  --state DIR          status, uids, the signing key and minted agent tokens (default .berth/state)
  --listen ADDR        API, status page and agent endpoint (default 127.0.0.1:7070)
  --agent-url URL      the URL agents dial, written next to each token (default ws://<listen>)
  --workers N          parallel host reconciles (default 4)
  --log-level LEVEL    trace, debug, info (default), warn, error
  -h, --help           show this help

Agent tokens are written to <state>/tokens/<namespace>/<secret>.token (mode 0600).
Kubernetes mode (--kube) is not available in this version.`;

export function parseControllerArgs(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      dir: { type: 'string', multiple: true }, state: { type: 'string' }, listen: { type: 'string' },
      'agent-url': { type: 'string' }, workers: { type: 'string' }, 'log-level': { type: 'string' },
      kube: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.kube) throw new UsageError('Kubernetes mode (--kube) is not available in this version; use --dir');
  const workers = values.workers === undefined ? 4 : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) throw new UsageError('--workers must be a whole number from 1 to 64');
  return {
    help: values.help === true,
    dirs: (values.dir ?? []).map((d) => resolve(d)),
    state: resolve(values.state ?? '.berth/state'),
    listen: parseListen(values.listen ?? '127.0.0.1:7070'),
    agentUrl: values['agent-url'],
    workers,
    logLevel: checkLogLevel(values['log-level'] ?? 'info'),
  };
}

/** Resolves when SIGINT or SIGTERM arrives. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolveSignal) => {
    const on = (s: NodeJS.Signals) => { process.removeListener('SIGINT', on); process.removeListener('SIGTERM', on); resolveSignal(s); };
    process.once('SIGINT', on);
    process.once('SIGTERM', on);
  });
}

export async function runController(argv: string[]): Promise<number> {
  const args = parseControllerArgs(argv);
  if (args.help) { console.log(CONTROLLER_HELP); return 0; }
  if (args.dirs.length === 0) throw new UsageError('name at least one --dir of manifests');
  for (const d of args.dirs) if (!existsSync(d)) throw new UsageError(`no such file or directory: ${d}`);
  const logger = pino({ level: args.logLevel, base: { component: 'controller' } });
  const store = new DirectoryStore({ paths: args.dirs, stateDir: args.state, logger: logger.child({ component: 'store' }) });
  const controller = new Controller({ store, logger, version: VERSION, listen: args.listen, workers: args.workers, ...(args.agentUrl ? { agentUrl: args.agentUrl } : {}) });
  await controller.start();
  const signal = await untilSignal();
  logger.info({ signal }, 'stopping');
  await controller.stop();
  return 0;
}
