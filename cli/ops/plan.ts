// `berth plan FILE|DIR...`: what applying these manifests would do to each host they declare.
import { readFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { HostView, ObservedHostView } from '../../protocol/api-views.js';
import type { ContainerHost, SecretData } from '../../controller/api/types.js';
import { collectManifestFiles } from '../../controller/api/manifests.js';
import { ResourceValidator } from '../../controller/api/validate.js';
import { scanManifestText, type SourceResource } from '../../controller/store/dir/sources.js';
import { UsageError } from '../usage.js';
import { ApiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './client.js';
import { CliError } from './errors.js';
import { planHost, type ChangeKind, type HostPlan } from './plan-compute.js';

export const HELP = `Usage: berth plan [options] <file|dir>...

For each ContainerHost the manifests declare: which containers applying them would create,
recreate (and which fields changed), start, stop or remove — computed by the controller's own
planner against what the host's agent reports now (GET /api/v1/hosts/NS/NAME/observed). Nothing
is changed. Directories are read recursively (*.yaml, *.yml), as by the directory store.

Secrets and ConfigMaps: plan never sees their values. A container that reads one (env, envFrom, a
files volume) is planned exactly when it is among the given files, or when the container's
declaration is unchanged; otherwise it is shown as "may change: depends on Secret NS/NAME".

  +  create      ~  recreate     >  start     .  stop
  -  remove      o  orphan (removalPolicy Orphan: left as it is)     ?  may change

Options:
  -o, --output json    the plan as JSON
  -h, --help           show this help

${CONNECTION_HELP}

Exit status: 0 no change, 2 changes (for a CI step), 1 error (unreadable or invalid manifests,
controller unreachable, access refused).`;

const SIGN: Record<ChangeKind, string> = { create: '+', recreate: '~', start: '>', stop: '.', restart: '*', remove: '-', orphan: 'o', 'may-change': '?' };

function readSources(paths: string[]): SourceResource[] {
  const validator = new ResourceValidator();
  const resources: SourceResource[] = [];
  const problems: string[] = [];
  for (const file of collectManifestFiles(paths)) {
    const scan = scanManifestText(readFileSync(file, 'utf8'), file, validator);
    if (scan.state === 'broken') problems.push(...scan.issues.map((i) => `${file}:${i.line ?? 1}: ${i.message}`));
    else if (scan.state === 'ok') resources.push(...scan.resources);
  }
  if (problems.length) throw new CliError(`the manifests are not valid (berth validate says more):\n  ${problems.join('\n  ')}`);
  return resources;
}

function secretOf(r: SourceResource): SecretData {
  const o = r.object as { type?: string; data?: Record<string, string> };
  return { namespace: r.namespace, name: r.name, type: o.type ?? 'Opaque', data: Object.fromEntries(Object.entries(o.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])) };
}

export function formatPlan(plans: HostPlan[]): string {
  const lines: string[] = [];
  for (const p of plans) {
    lines.push(`ContainerHost ${p.host}${p.new ? ' (new)' : ''}:`);
    for (const n of p.notes) lines.push(`  note: ${n}`);
    if (p.changes.length === 0) lines.push('  no changes');
    const width = Math.max(0, ...p.changes.map((c) => c.container.length));
    for (const c of p.changes) lines.push(`  ${SIGN[c.kind]} ${c.kind.padEnd(10)} ${c.container.padEnd(width)}  ${c.detail}`);
  }
  const counts = new Map<ChangeKind, number>();
  for (const c of plans.flatMap((p) => p.changes)) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  lines.push('', total === 0 ? `No changes on ${plans.length} host${plans.length === 1 ? '' : 's'}.`
    : `Plan: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')} on ${plans.filter((p) => p.changes.length).length} of ${plans.length} host${plans.length === 1 ? '' : 's'}.`);
  return lines.join('\n');
}

export async function run(argv: string[], out: (text: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { output: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' }, ...CONNECTION_OPTIONS },
  });
  if (values.help) { out(HELP); return 0; }
  if (values.output !== undefined && values.output !== 'json') throw new UsageError(`-o must be json, not "${values.output}"`);
  if (positionals.length === 0) throw new UsageError('name at least one manifest file or directory');
  for (const p of positionals) if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);
  const resources = readSources(positionals);
  const hosts = resources.filter((r) => r.kind === 'ContainerHost').map((r) => r.object as unknown as ContainerHost);
  if (hosts.length === 0) throw new CliError('the given files declare no ContainerHost');
  const localSecrets = new Map(resources.filter((r) => r.kind === 'Secret').map((r) => [`${r.namespace}/${r.name}`, secretOf(r)]));
  const localConfigMaps = new Map(resources.filter((r) => r.kind === 'ConfigMap').map((r) => [`${r.namespace}/${r.name}`, secretOf(r)]));
  const client = new ApiClient({ server: values.server, kubeconfig: values.kubeconfig });
  const plans: HostPlan[] = [];
  for (const manifest of hosts) {
    const path = `/api/v1/hosts/${encodeURIComponent(manifest.metadata.namespace)}/${encodeURIComponent(manifest.metadata.name)}`;
    const live = await client.find<HostView>(path);
    const observed = live ? await client.find<ObservedHostView>(`${path}/observed`) : undefined;
    if (live && !observed) throw new CliError(`${client.server} does not serve ${path}/observed: the controller is older than this client (berth version)`);
    plans.push(planHost({ manifest, live, observed, localSecrets, localConfigMaps }));
  }
  out(values.output === 'json' ? JSON.stringify({ hosts: plans }, null, 2) : formatPlan(plans));
  return plans.some((p) => p.changes.length) ? 2 : 0;
}
