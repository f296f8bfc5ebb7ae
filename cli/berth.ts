// The `berth` command: dispatches to subcommands. Each subcommand parses its own options and has
// its own --help.
import { AGENT_HELP, runAgent } from './agent.js';
import { CONTROLLER_HELP, runController } from './controller.js';
import { runUp, UP_HELP } from './up.js';
import { runValidate, VALIDATE_HELP } from './validate.js';
import { UsageError } from './usage.js';

const HELP = `Usage: berth <command> [options]

Berth runs Docker containers on many machines the Kubernetes way: ContainerHost resources say
what each host must run, a controller reconciles them, and an agent on every host drives Docker.

Commands:
  up                       run Berth on this machine: controller + local agent (npm start)
  controller --dir PATH    run the controller on a directory of manifests
  agent --url URL          run the agent of one host on this machine
  validate <file|dir>...   check manifests against the CRD schemas and rules

Run 'berth <command> --help' for a command's options.`;

type Command = (argv: string[]) => number | Promise<number>;
const COMMANDS: Record<string, { run: Command; help: string }> = {
  up: { run: (argv) => runUp(argv), help: UP_HELP },
  controller: { run: (argv) => runController(argv), help: CONTROLLER_HELP },
  agent: { run: (argv) => runAgent(argv), help: AGENT_HELP },
  validate: { run: runValidate, help: VALIDATE_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') { console.log(HELP); return name ? 0 : 2; }
  const command = COMMANDS[name];
  if (!command) { console.error(`berth: unknown command "${name}"\n\n${HELP}`); return 2; }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`berth ${name}: ${(err as Error).message}\nRun 'berth ${name} --help' for usage.`);
      return 2;
    }
    throw err;
  }
}
