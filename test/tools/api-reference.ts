// Generates docs/api-reference.md from the CRDs in crds/ — their descriptions, types, defaults,
// bounds and CEL rules — so the reference can never say something the schema does not.
// test/docs/api-reference.test.ts fails when the file is out of date.
//
//   npm run docs:api
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { RECONCILING_REASONS } from '../../controller/reconcile/host-progress.js';
import { STALLED_REASONS } from '../../controller/reconcile/stall-reasons.js';
import { repoRoot } from '../support/paths.js';

export const API_REFERENCE = join(repoRoot, 'docs/api-reference.md');
export const REGENERATE = 'npm run docs:api';

/** The subset of an OpenAPI v3 schema (structural, as the apiserver wants it) the reference shows. */
export interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: Array<{ rule: string; message?: string }>;
}

interface Crd {
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames?: string[]; categories?: string[] };
    scope: string;
    versions: Array<{ name: string; schema: { openAPIV3Schema: Schema }; subresources?: Record<string, unknown>; additionalPrinterColumns?: Array<{ name: string; jsonPath: string; description?: string; priority?: number }> }>;
  };
}

interface Row { path: string; type: string; required: boolean; notes: string[]; description: string }

/** Collapses YAML folded text and escapes what would break a Markdown table cell. */
const cell = (s: string) => s.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
const code = (v: unknown) => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;

function typeOf(s: Schema): string {
  if (s['x-kubernetes-int-or-string']) return 'int or string';
  if (s.type === 'array') {
    const inner = s.items ? typeOf(s.items) : 'any';
    const list = s['x-kubernetes-list-type'] === 'map' ? ` (map keyed by ${s['x-kubernetes-list-map-keys']?.join(', ')})` : s['x-kubernetes-list-type'] === 'set' ? ' (set)' : '';
    return `[]${inner}${list}`;
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return `map[string]${typeOf(s.additionalProperties)}`;
  return s.format ? `${s.type ?? 'any'} (${s.format})` : s.type ?? 'any';
}

function notesOf(s: Schema): string[] {
  const n: string[] = [];
  if (s.default !== undefined) n.push(`default ${code(s.default)}`);
  if (s.enum) n.push(`one of ${s.enum.map(code).join(', ')}`);
  if (s.minimum !== undefined || s.maximum !== undefined) n.push(`${s.minimum ?? '…'}–${s.maximum ?? '…'}`);
  if (s.minLength !== undefined) n.push(`min length ${s.minLength}`);
  if (s.maxLength !== undefined) n.push(`max length ${s.maxLength}`);
  if (s.minItems !== undefined) n.push(`min items ${s.minItems}`);
  if (s.maxItems !== undefined) n.push(`max items ${s.maxItems}`);
  if (s.pattern) n.push(`pattern ${code(s.pattern)}`);
  for (const v of s['x-kubernetes-validations'] ?? []) n.push(`rule: ${v.message ?? code(v.rule)}`);
  return n;
}

/** Every field below `schema`, depth first, as table rows (array items appear as `[]`). */
export function flatten(schema: Schema, prefix: string, out: Row[] = []): Row[] {
  const props = schema.properties ?? {};
  for (const [name, child] of Object.entries(props)) {
    const path = prefix ? `${prefix}.${name}` : name;
    out.push({ path, type: typeOf(child), required: schema.required?.includes(name) ?? false, notes: notesOf(child), description: child.description ?? '' });
    const nested = child.type === 'array' ? child.items : child;
    if (nested?.properties) {
      if (child.type === 'array' && nested['x-kubernetes-validations']?.length) out.at(-1)!.notes.push(...notesOf({ 'x-kubernetes-validations': nested['x-kubernetes-validations'] }));
      flatten(nested, child.type === 'array' ? `${path}[]` : path, out);
    }
  }
  return out;
}

function section(crd: Crd): string {
  const { group, names, scope } = crd.spec;
  const version = crd.spec.versions[0]!;
  const root = version.schema.openAPIV3Schema;
  const lines: string[] = [];
  lines.push(`## ${names.kind}`, '');
  lines.push(`\`${group}/${version.name}\`, ${scope.toLowerCase()}; plural \`${names.plural}\`${names.shortNames?.length ? `, short name ${names.shortNames.map((s) => `\`${s}\``).join(', ')}` : ''}${names.categories?.length ? `, category ${names.categories.map((s) => `\`${s}\``).join(', ')}` : ''}${version.subresources?.status ? '; status through the `/status` subresource' : ''}.`, '');
  lines.push(cell(root.description ?? ''), '');
  if (version.additionalPrinterColumns?.length) {
    lines.push('`kubectl get` columns:', '', '| column | from | meaning |', '|---|---|---|');
    for (const c of version.additionalPrinterColumns) lines.push(`| ${c.name}${c.priority ? ' (`-o wide`)' : ''} | \`${cell(c.jsonPath)}\` | ${cell(c.description ?? '')} |`);
    lines.push('');
  }
  for (const part of ['spec', 'status'] as const) {
    const s = root.properties?.[part];
    if (!s) continue;
    lines.push(`### ${names.kind} ${part}`, '', cell(s.description ?? ''), '');
    const rules = notesOf({ 'x-kubernetes-validations': s['x-kubernetes-validations'] ?? [] });
    if (rules.length) { lines.push(...rules.map((r) => `- ${cell(r)}`), ''); }
    lines.push('| field | type | | constraints | description |', '|---|---|---|---|---|');
    for (const r of flatten(s, part)) {
      lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${r.required ? 'required' : ''} | ${cell(r.notes.join('; '))} | ${cell(r.description)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The kstatus conditions and their reasons, from the tables the controller decides with. */
export function conditionsSection(): string {
  const lines = [
    '## Conditions for GitOps tools (kstatus)', '',
    'Besides `AgentConnected`, `Synced` and `Ready`, a ContainerHost carries the two conditions kstatus',
    '(Flux, kubectl/cli-utils waiters) and the shipped Argo CD health script read; an AgentToken carries them',
    'False once its token is issued. Every condition and the status carry `observedGeneration`; until the',
    'controller first writes status, the apiserver serves the default `observedGeneration: 0`, so a new',
    'resource is InProgress, never Current. `Reconciling` and `Stalled` are never both True.', '',
    '| tool | Stalled=True | Reconciling=True, or not Ready | Ready=True, observedGeneration current |', '|---|---|---|---|',
    '| kstatus / Flux (default) | Failed | InProgress | Current |',
    '| Argo CD (`examples/health-checks/argocd`) | Degraded | Progressing (`spec.paused`: Suspended) | Healthy |',
    '| Flux `healthCheckExprs` (`examples/health-checks/flux`) | Failed | InProgress | Current |', '',
    '`Stalled` is True when the controller keeps retrying but nothing will change until the spec or the',
    'environment does. Its reason, for the first container so affected (the message names them all):', '',
    '| reason | when | what to do |', '|---|---|---|',
    ...Object.values(STALLED_REASONS).map((r) => `| \`${r.reason}\` | ${cell(r.when)} | ${cell(r.fix)} |`), '',
    'Any other failure is transient (`Reconciling` with reason `Retrying`). `Reconciling` reasons:', '',
    '| reason | when |', '|---|---|',
    ...RECONCILING_REASONS.map((r) => `| \`${r.reason}\` | ${cell(r.when)} |`), '',
  ];
  return lines.join('\n');
}

/** The whole reference for the given CRD files' texts. */
export function renderApiReference(crdTexts: string[]): string {
  const crds = crdTexts.map((t) => parse(t) as Crd).sort((a, b) => a.spec.names.kind.localeCompare(b.spec.names.kind));
  const header = [
    '# API reference',
    '',
    `<!-- GENERATED by \`${REGENERATE}\` from crds/*.yaml — do not edit; change the CRD descriptions and regenerate. -->`,
    '',
    'Berth\'s resources, as their CustomResourceDefinitions in `crds/` define them. The same schemas are',
    'enforced by the Kubernetes apiserver and by `berth validate` / directory mode. Contents:',
    ...crds.map((c) => `[${c.spec.names.kind}](#${c.spec.names.kind.toLowerCase()})`).map((l) => `- ${l}`),
    '- [Conditions for GitOps tools (kstatus)](#conditions-for-gitops-tools-kstatus)',
    '',
  ].join('\n');
  return `${header}\n${crds.map(section).join('\n')}\n${conditionsSection()}`;
}

export function crdTexts(dir = join(repoRoot, 'crds')): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => readFileSync(join(dir, f), 'utf8'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(API_REFERENCE, renderApiReference(crdTexts()));
  console.log(`wrote ${API_REFERENCE}`);
}
