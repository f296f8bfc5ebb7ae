// `berth version`: this client's version and the controller's (GET /api/v1/version).
import { parseArgs } from 'node:util';
import { VERSION } from '../../controller/version.js';
import { UsageError } from '../usage.js';
import { ApiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './client.js';
import { CliError } from './errors.js';

export const HELP = `Usage: berth version [--client] [-o json|yaml]

Prints this client's version and the version of the controller at --server.

Options:
  --client             only the client's version (no controller needed)
  -o, --output FORMAT  json or yaml
  -h, --help           show this help

${CONNECTION_HELP}`;

export async function run(argv: string[], out: (text: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { client: { type: 'boolean' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' }, ...CONNECTION_OPTIONS },
  });
  if (values.help) { out(HELP); return 0; }
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.output !== undefined && values.output !== 'json' && values.output !== 'yaml') throw new UsageError(`-o must be json or yaml, not "${values.output}"`);
  let server: { version?: string; url: string; error?: string } | undefined;
  if (!values.client) {
    const client = new ApiClient({ server: values.server, kubeconfig: values.kubeconfig });
    try { server = { url: client.server, version: (await client.get<{ version: string }>('/api/v1/version')).version }; } catch (err) {
      if (!(err instanceof CliError)) throw err;
      server = { url: client.server, error: err.message };
    }
  }
  const doc = { client: { version: VERSION }, ...(server ? { server } : {}) };
  if (values.output === 'json') out(JSON.stringify(doc, null, 2));
  else if (values.output === 'yaml') out((await import('yaml')).stringify(doc).trimEnd());
  else {
    out(`Client Version: ${VERSION}`);
    if (server?.version) out(`Server Version: ${server.version} (${server.url})`);
  }
  // Like kubectl: the client line is printed, and an unreachable server is an error.
  if (server?.error) { console.error(`berth version: ${server.error}`); return 1; }
  return 0;
}
