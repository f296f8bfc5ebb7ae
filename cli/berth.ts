// The `berth` command: dispatches to subcommands. Each subcommand parses its own options and has
// its own --help. Adding a verb is one module (cli/ops/<verb>.ts exporting `run` and `HELP`) and
// one line in VERBS below.
import { CliError } from './ops/errors.js';
import { UsageError } from './usage.js';

/** What every verb module exports. */
export interface Verb { run(argv: string[]): number | Promise<number> }

interface Entry { usage: string; summary: string; load: () => Promise<Verb> }

// Loaded on demand: `berth agent` must not load the controller's dependencies (the Kubernetes
// client, express, the CRD validator) — tens of MB of RSS on every host (bench/agent-footprint).
const VERBS: Record<string, Entry> = {
  up: { usage: 'up', summary: 'run Berth on this machine: controller + local agent (npm start)', load: async () => ({ run: (await import('./up.js')).runUp }) },
  controller: { usage: 'controller --dir PATH', summary: 'run the controller on a directory of manifests (or --kube)', load: async () => ({ run: (await import('./controller.js')).runController }) },
  agent: { usage: 'agent --url URL', summary: 'run the agent of one host on this machine', load: async () => ({ run: (await import('./agent.js')).runAgent }) },
  validate: { usage: 'validate <file|dir>...', summary: 'check manifests against the CRD schemas and rules', load: async () => ({ run: (await import('./validate.js')).runValidate }) },
  convert: { usage: 'convert compose FILE...', summary: 'turn a compose application into a ContainerHost', load: async () => ({ run: (argv) => import('./convert-compose.js').then((m) => m.runConvert(argv)) }) },
  // Operator verbs: read a running controller's API (--server, BERTH_SERVER; a kubeconfig's token).
  get: { usage: 'get hosts|tokens', summary: 'list hosts or agent tokens, like kubectl get', load: () => import('./ops/get.js') },
  describe: { usage: 'describe host NS/NAME', summary: 'one host: spec, conditions, containers, recent events', load: () => import('./ops/describe.js') },
  logs: { usage: 'logs NS/HOST CONTAINER', summary: "print or follow a container's logs", load: () => import('./ops/logs.js') },
  plan: { usage: 'plan <file|dir>...', summary: 'what applying these manifests would do to each host', load: () => import('./ops/plan.js') },
  version: { usage: 'version', summary: "this client's version and the controller's", load: () => import('./ops/version.js') },
  completion: { usage: 'completion bash|zsh', summary: 'shell completion script', load: () => import('./ops/completion.js') },
  // Operator verbs that act (through the controller's operator surface, not the read-only API).
  restart: { usage: 'restart NS/HOST [NAME]', summary: "restart a host's containers once, in place (declarative)", load: async () => ({ run: (await import('./restart.js')).runRestart }) },
  exec: { usage: 'exec NS/HOST NAME -- CMD', summary: 'run a command in a managed container (-i stdin, -t TTY)', load: async () => ({ run: (argv) => import('./exec.js').then((m) => m.runExec(argv)) }) },
};

export const VERB_NAMES: readonly string[] = Object.keys(VERBS);

function help(): string {
  const width = Math.max(...Object.values(VERBS).map((v) => v.usage.length)) + 2;
  const lines = Object.values(VERBS).map((v) => `  ${v.usage.padEnd(width)} ${v.summary}`);
  return `Usage: berth <command> [options]

Berth runs Docker containers on many machines the Kubernetes way: ContainerHost resources say
what each host must run, a controller reconciles them, and an agent on every host drives Docker.

Commands:
${lines.join('\n')}

Options:
  --version                print the client's version
  -h, --help               show this help

Run 'berth <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  // Bare `berth` is a request for help, as with kubectl: exit 0.
  if (!name || name === '-h' || name === '--help' || name === 'help') { console.log(help()); return 0; }
  if (name === '--version') { const { VERSION } = await import('../controller/version.js'); console.log(VERSION); return 0; }
  const entry = VERBS[name];
  if (!entry) { console.error(`berth: unknown command "${name}"\n\n${help()}`); return 2; }
  try {
    const verb = await entry.load();
    return await verb.run(rest);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`berth ${name}: ${(err as Error).message}\nRun 'berth ${name} --help' for usage.`);
      return 2;
    }
    // An expected failure (controller unreachable, not found, refused, a port in use): one line.
    if (err instanceof CliError) { console.error(`berth ${name}: ${err.message}`); return err.exitCode; }
    throw err;
  }
}
