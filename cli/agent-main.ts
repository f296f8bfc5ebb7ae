// The agent's own entry point: what the agent bundle (dist/agent-bundle/berth-agent.mjs, built by
// `npm run build:agent`) starts from. It loads `berth agent` and nothing of the other verbs, so the
// bundle holds only the agent's module graph (no Kubernetes client, express or CRD validator).
// Exit status and messages are `berth agent`'s (cli/berth.ts main()).
import { runAgent } from './agent.js';
import { UsageError } from './usage.js';

export async function agentMain(argv: string[]): Promise<number> {
  try {
    return await runAgent(argv);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`berth agent: ${(err as Error).message}\nRun 'berth agent --help' for usage.`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await agentMain(process.argv.slice(2));
