// Validates a compose project (after interpolation and merging) against the Compose Specification's
// published JSON schema, vendored in compose-spec/ with its licence, plus the small additions for
// fields the specification gained after that revision (compose-spec/additions.json). Why a vendored
// schema and not hand-written checks: see README.md.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import { packageRoot } from '../../controller/package-root.js';

export const SCHEMA_DIR = join(packageRoot, 'cli/convert/compose-spec');

type Json = Record<string, unknown>;
export interface SchemaAddition { op: 'add' | 'widen'; at: string; schema: unknown; was?: unknown; spec: string }
export interface SchemaIssue { path: string; message: string }

const unescape = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** Applies the additions that still apply; returns the ones that did not (already in the schema). */
export function applyAdditions(schema: Json, additions: readonly SchemaAddition[]): SchemaAddition[] {
  const redundant: SchemaAddition[] = [];
  for (const a of additions) {
    const parts = a.at.split('/').slice(1).map(unescape);
    const key = parts.pop()!;
    let node: unknown = schema;
    for (const p of parts) node = (node as Json | undefined)?.[p];
    if (!node || typeof node !== 'object') throw new Error(`compose schema addition "${a.spec}": no node at ${a.at}`);
    const parent = node as Json;
    const present = key in parent;
    const applies = a.op === 'add' ? !present : present && JSON.stringify(parent[key]) === JSON.stringify(a.was);
    if (applies) parent[key] = structuredClone(a.schema);
    else redundant.push(a);
  }
  return redundant;
}

export function loadComposeSchema(): { schema: Json; redundant: SchemaAddition[] } {
  const schema = JSON.parse(readFileSync(join(SCHEMA_DIR, 'compose-spec.json'), 'utf8')) as Json;
  const { entries } = JSON.parse(readFileSync(join(SCHEMA_DIR, 'additions.json'), 'utf8')) as { entries: SchemaAddition[] };
  return { schema, redundant: applyAdditions(schema, entries) };
}

// The schema's own formats; the mapper parses ports and durations itself and names bad ones, so
// these only need to accept what compose accepts.
const DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h|d)?)+$/;

/**
 * The vendored revision labels nodes with draft-04 "id" strings ("#/definitions/service"), which
 * ajv refuses; they are labels only (every $ref uses JSON pointers), so they are removed. Only
 * string-valued "id" members go: a property named "id" would be a schema object.
 */
function stripDraft4Ids(node: unknown): void {
  if (Array.isArray(node)) { node.forEach(stripDraft4Ids); return; }
  if (!node || typeof node !== 'object') return;
  const obj = node as Json;
  if (typeof obj.id === 'string') delete obj.id;
  Object.values(obj).forEach(stripDraft4Ids);
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (compiled) return compiled;
  // strict: false — the vendored schema uses draft-04 style "id" members that ajv must ignore.
  const ajv = new Ajv2019({ allErrors: true, strict: false, allowUnionTypes: true });
  ajv.addFormat('duration', { type: 'string', validate: (s: string) => DURATION.test(s) });
  ajv.addFormat('ports', true);
  ajv.addFormat('expose', true);
  ajv.addFormat('subnet_ip_address', true);
  const { schema } = loadComposeSchema();
  // The vendored revision names its draft as "http://json-schema.org/draft/2019-09/schema#", which
  // ajv knows by its https form only; the draft is the one Ajv2019 implements, so drop the pointer.
  delete schema.$schema;
  stripDraft4Ids(schema);
  compiled = ajv.compile(schema);
  return compiled;
}

function pathOf(e: ErrorObject): string {
  return e.instancePath.split('/').slice(1).map(unescape)
    .reduce((acc, seg) => (/^\d+$/.test(seg) ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '') || '<top level>';
}

const TYPE_WORDS: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', null: 'empty' };

/** Every type the branches of a oneOf accept at one place, in words: "a mapping or a list". */
function typeWords(errors: readonly ErrorObject[], at: string): string {
  const types = errors.filter((x) => x.keyword === 'type' && x.instancePath === at).flatMap((x) => ([] as unknown[]).concat((x.params as Json).type).map(String));
  return [...new Set(types)].map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

/** oneOf failures repeat every branch's errors; keep the most specific (deepest) ones. */
function describe(errors: readonly ErrorObject[]): SchemaIssue[] {
  const useful = errors.filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf');
  const out = new Map<string, SchemaIssue>();
  for (const e of useful.length ? useful : errors) {
    const p = e.params as Json;
    const base = pathOf(e);
    const issue = e.keyword === 'additionalProperties'
      ? { path: base === '<top level>' ? String(p.additionalProperty) : `${base}.${String(p.additionalProperty)}`, message: 'unknown field (not in the Compose Specification)' }
      : e.keyword === 'required' ? { path: base, message: `needs "${String(p.missingProperty)}"` }
      : e.keyword === 'type' ? { path: base, message: `must be ${typeWords(useful, e.instancePath)}` }
      : { path: base, message: e.message ?? e.keyword };
    out.set(`${issue.path}\0${issue.message}`, issue);
  }
  // An unknown field inside one oneOf branch also fails the other branches' "type" checks at the
  // parent: report the unknown field, not the noise.
  const unknown = [...out.values()].filter((i) => i.message.startsWith('unknown field'));
  return unknown.length ? [...unknown, ...[...out.values()].filter((i) => !i.message.startsWith('must be') && !unknown.includes(i))] : [...out.values()];
}

/** The schema's verdict on a merged, interpolated project: an empty list means it conforms. */
export function validateCompose(project: unknown): SchemaIssue[] {
  const check = validator();
  return check(project) ? [] : describe(check.errors ?? []);
}
