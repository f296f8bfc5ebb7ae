// `berth get hosts|tokens`: the API's lists as kubectl prints them (the CRDs' printer columns).
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import type { HostView, ListView, TokenView } from '../../protocol/api-views.js';
import { UsageError } from '../usage.js';
import { parseOutput } from './args.js';
import { ApiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './client.js';
import { cell, formatTable, jsonPathValue, printerColumns } from './columns.js';

export const HELP = `Usage: berth get hosts|tokens [NAME] [-n NS | -A] [-o wide|json|yaml]

Lists ContainerHosts (hosts, host, ch) or AgentTokens (tokens, token, at) from a running
controller, with the columns kubectl shows for them (the CRDs' printer columns). Only what you may
see is listed (Kubernetes mode: RBAC "get" per namespace).

Unlike kubectl, the default scope is every namespace (a directory of manifests has no current
namespace); -n NS narrows it.

Options:
  -n, --namespace NS   only this namespace
  -A, --all-namespaces every namespace (the default)
  -o, --output FORMAT  wide (adds the hostname and agent version), json or yaml (the API's view)
  -h, --help           show this help

${CONNECTION_HELP}

Examples:
  berth get hosts
  berth get hosts -n shop -o wide
  berth get tokens -o yaml`;

const KINDS = {
  hosts: { path: '/api/v1/hosts', crd: 'containerhosts.yaml', kind: 'ContainerHost' },
  tokens: { path: '/api/v1/tokens', crd: 'agenttokens.yaml', kind: 'AgentToken' },
} as const;
const ALIASES: Record<string, keyof typeof KINDS> = {
  hosts: 'hosts', host: 'hosts', ch: 'hosts', containerhosts: 'hosts', containerhost: 'hosts',
  tokens: 'tokens', token: 'tokens', at: 'tokens', agenttokens: 'tokens', agenttoken: 'tokens',
};
export const GET_KINDS = ['hosts', 'tokens'];

type Item = HostView | TokenView;

export async function run(argv: string[], out: (text: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { namespace: { type: 'string', short: 'n' }, 'all-namespaces': { type: 'boolean', short: 'A' }, output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' }, ...CONNECTION_OPTIONS },
  });
  if (values.help) { out(HELP); return 0; }
  const [what, name, extra] = positionals;
  if (!what) throw new UsageError('name what to list: hosts or tokens');
  const kind = ALIASES[what];
  if (!kind) throw new UsageError(`unknown resource "${what}" (hosts or tokens)`);
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  if (values.namespace && values['all-namespaces']) throw new UsageError('-n and -A exclude each other');
  const output = parseOutput(values.output);
  const client = new ApiClient({ server: values.server, kubeconfig: values.kubeconfig });
  const list = await client.get<ListView<Item>>(KINDS[kind].path);
  const items = list.items
    .filter((i) => !values.namespace || i.metadata.namespace === values.namespace)
    .filter((i) => !name || i.metadata.name === name)
    .sort((a, b) => a.metadata.namespace.localeCompare(b.metadata.namespace) || a.metadata.name.localeCompare(b.metadata.name));
  if (name && items.length === 0) { console.error(`berth get: ${KINDS[kind].kind} "${name}" not found${values.namespace ? ` in ${values.namespace}` : ''}`); return 1; }

  if (output === 'json' || output === 'yaml') {
    const withKind = items.map((i) => ({ apiVersion: 'berth.dev/v1alpha1', kind: KINDS[kind].kind, ...i }));
    const doc = name && items.length === 1 ? withKind[0] : { apiVersion: 'v1', kind: 'List', items: withKind };
    out(output === 'json' ? JSON.stringify(doc, null, 2) : stringify(doc).trimEnd());
    return 0;
  }
  if (items.length === 0) { console.error(values.namespace ? `No resources found in ${values.namespace} namespace.` : 'No resources found.'); return 0; }
  const columns = printerColumns(KINDS[kind].crd).filter((c) => output === 'wide' || !c.priority);
  const showNs = !values.namespace;
  const header = [...(showNs ? ['Namespace'] : []), 'Name', ...columns.map((c) => c.name)];
  const now = Date.now();
  const rows = items.map((i) => [...(showNs ? [i.metadata.namespace] : []), i.metadata.name, ...columns.map((c) => cell(jsonPathValue(i, c.jsonPath), c.type, now))]);
  out(formatTable(header, rows));
  return 0;
}
