// The `berth` command: dispatches to subcommands. Each subcommand parses its own options and has
// its own --help.
import { UsageError } from './usage.js';

const HELP = `Usage: berth <command> [options]

Berth runs Docker containers on many machines the Kubernetes way: ContainerHost resources say
what each host must run, a controller reconciles them, and an agent on every host drives Docker.

Commands:
  up                       run Berth on this machine: controller + local agent (npm start)
  controller --dir PATH    run the controller on a directory of manifests
  agent --url URL          run the agent of one host on this machine
  validate <file|dir>...   check manifests against the CRD schemas and rules
  restart NS/HOST [NAME]   restart a host's containers once, in place (declarative)
  exec NS/HOST NAME -- CMD run a command in a managed container (-i stdin, -t TTY)

Run 'berth <command> --help' for a command's options.`;

type Command = (argv: string[]) => number | Promise<number>;
// Loaded on demand: `berth agent` must not load the controller's dependencies (the Kubernetes
// client, express, the CRD validator) — tens of MB of RSS on every host (bench/agent-footprint).
const COMMANDS: Record<string, () => Promise<Command>> = {
  up: async () => { const { runUp } = await import('./up.js'); return (argv) => runUp(argv); },
  controller: async () => { const { runController } = await import('./controller.js'); return (argv) => runController(argv); },
  agent: async () => { const { runAgent } = await import('./agent.js'); return (argv) => runAgent(argv); },
  validate: async () => (await import('./validate.js')).runValidate,
  ...(await import('./operator-verbs.js')).OPERATOR_VERBS,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') { console.log(HELP); return name ? 0 : 2; }
  const load = COMMANDS[name];
  if (!load) { console.error(`berth: unknown command "${name}"\n\n${HELP}`); return 2; }
  try {
    const run = await load();
    return await run(rest);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`berth ${name}: ${(err as Error).message}\nRun 'berth ${name} --help' for usage.`);
      return 2;
    }
    throw err;
  }
}
