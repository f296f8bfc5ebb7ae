// `berth describe host NS/NAME`: one host as a person reads it, like kubectl describe.
import { parseArgs } from 'node:util';
import type { EventView, HostDetailView } from '../../protocol/api-views.js';
import { UsageError } from '../usage.js';
import { splitRef } from './args.js';
import { ApiClient, CONNECTION_HELP, CONNECTION_OPTIONS } from './client.js';
import { age, formatTable } from './columns.js';

export const HELP = `Usage: berth describe host NAMESPACE/NAME

Shows one ContainerHost: its spec in short (policy, removal policy, each container's image and
state), its agent, its conditions, its containers as observed, and its recent Events.

Options:
  -h, --help           show this help

${CONNECTION_HELP}

Example:
  berth describe host shop/box-1`;

const indent = (text: string, by = '  ') => text.split('\n').map((l) => `${by}${l}`).join('\n');

export function formatHost(h: HostDetailView, now = Date.now()): string {
  const s = h.spec;
  const a = h.status.agent;
  const out: string[] = [
    `Name:            ${h.metadata.name}`,
    `Namespace:       ${h.metadata.namespace}`,
    `Created:         ${h.metadata.creationTimestamp ?? '<unknown>'} (${age(h.metadata.creationTimestamp, now)} ago)`,
    ...(h.metadata.deletionTimestamp ? [`Deleting since:  ${h.metadata.deletionTimestamp}`] : []),
    `Generation:      ${h.metadata.generation} (status observed ${h.status.observedGeneration ?? '<none>'})`,
    `Paused:          ${s.paused}`,
    `Removal policy:  ${s.removalPolicy}`,
    `Policy:          privileged ${s.policy.allowPrivileged ? 'allowed' : 'refused'}, host network ${s.policy.allowHostNetwork ? 'allowed' : 'refused'}, host paths ${s.policy.allowedHostPaths.length ? s.policy.allowedHostPaths.join(', ') : 'none'}`,
    `Ready:           ${h.status.ready ?? '<none>'}`,
    'Agent:',
    indent(a?.connected
      ? `Connected since ${a.connectedAt ?? '?'} — ${a.hostname ?? '?'} (${a.os ?? '?'}/${a.arch ?? '?'}), agent ${a.version ?? '?'}, Docker ${a.dockerVersion ?? '?'}${a.dockerAPIVersion ? ` (API ${a.dockerAPIVersion}${a.dockerMinAPIVersion ? `, min ${a.dockerMinAPIVersion}` : ''})` : ''}`
      : `Not connected${a?.lastSeenAt ? ` (last seen ${a.lastSeenAt})` : ''}`),
    'Declared containers:',
  ];
  const decls = s.containers ?? [];
  out.push(decls.length ? indent(formatTable(['Name', 'Image', 'State', 'Restart', 'Ports'], decls.map((c) => [
    c.name, c.image, c.state, c.restartPolicy, (c.ports ?? []).map((p) => `${p.hostPort ? `${p.hostPort}:` : ''}${p.containerPort}/${p.protocol}`).join(','),
  ]))) : '  <none>');
  out.push('Conditions:');
  const conds = h.status.conditions ?? [];
  out.push(conds.length ? indent(formatTable(['Type', 'Status', 'Reason', 'Age', 'Message'], conds.map((c) => [c.type, c.status, c.reason, age(c.lastTransitionTime, now), c.message]))) : '  <none>');
  out.push('Containers:');
  const obs = h.status.containers ?? [];
  out.push(obs.length ? indent(formatTable(['Name', 'State', 'Ready', 'Restarts', 'Health', 'ID', 'Message'], obs.map((c) => [
    c.name, c.state, String(c.ready), String(c.restartCount ?? 0), c.health ?? '', (c.containerID ?? '').slice(0, 12), c.message ?? '',
  ]))) : '  <none>');
  out.push('Events:');
  const events = h.events.slice(-20);
  // kubectl's "Age" of an event: since it last happened, "(xN over AGE)" when repeated.
  const when = (e: EventView) => {
    const last = e.lastTimestamp ?? e.time;
    const base = last ? age(last, now) : '';
    return e.count && e.count > 1 && e.firstTimestamp ? `${base} (x${e.count} over ${age(e.firstTimestamp, now)})` : base;
  };
  out.push(events.length ? indent(formatTable(['Type', 'Reason', 'Age', 'Message'], events.map((e) => [e.type, e.reason, when(e), e.message]))) : '  <none>');
  return out.join('\n');
}

export async function run(argv: string[], out: (text: string) => void = console.log): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' }, ...CONNECTION_OPTIONS } });
  if (values.help) { out(HELP); return 0; }
  const [what, ref, extra] = positionals;
  if (!what) throw new UsageError('name what to describe: host NAMESPACE/NAME');
  if (!['host', 'hosts', 'ch', 'containerhost'].includes(what)) throw new UsageError(`cannot describe "${what}": only host NAMESPACE/NAME`);
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  const { namespace, name } = splitRef(ref, 'the host');
  const client = new ApiClient({ server: values.server, kubeconfig: values.kubeconfig });
  const host = await client.get<HostDetailView>(`/api/v1/hosts/${namespace}/${name}`);
  out(formatHost(host));
  return 0;
}
