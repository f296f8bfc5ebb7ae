// Validates Berth resources exactly as the apiserver would accept them: ajv enforces the CRD's
// structural schema (with defaulting and strict unknown-field checks), then a walk over schema and
// object enforces what ajv cannot read from the schema: list-map keys, list sets, and the CEL rules
// (through their TypeScript twins in rules.ts). Pure: no I/O beyond loading the CRDs once.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { loadResourceKinds, type ResourceKind, type SchemaNode } from './schemas.js';
import { RULE_TWINS, type PathSegment } from './rules.js';
import { dependencyIssues } from './depends-on.js';

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
type AddFormats = (ajv: Ajv, formats: string[]) => Ajv;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as unknown as AddFormats;

export interface FieldIssue { path: PathSegment[]; message: string }

export interface ResourceResult<T = Record<string, unknown>> {
  /** The CRD kind this document is, when apiVersion/kind name one. */
  kind?: ResourceKind;
  issues: FieldIssue[];
  /** A defaulted copy of the document (as the apiserver would store it). */
  object: T;
}

/** Human-readable wording for the CRDs' patterns, so errors say what is wanted, not a regex. */
const PATTERN_WORDS: Record<string, string> = {
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$': "a DNS label (lowercase letters, digits and '-', starting and ending alphanumeric)",
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$': "a DNS subdomain (lowercase letters, digits, '-' and '.')",
  '^[-._a-zA-Z][-._a-zA-Z0-9]*$': "a variable name (letters, digits, '_', '-', '.'; not starting with a digit)",
  '^[-._a-zA-Z0-9]+$': "a key (letters, digits, '_', '-', '.')",
  '^[a-zA-Z0-9][a-zA-Z0-9_.-]*$': "a Docker name (letters, digits, '_', '.', '-', starting alphanumeric)",
  '^([^/.][^/]*|[.][^/.][^/]*)(/([^/.][^/]*|[.][^/.][^/]*))*$': "a relative path without '.' or '..' segments, e.g. conf/app.yaml",
  '^(ALL|CAP_[A-Z_]+)$': 'a capability such as CAP_NET_ADMIN, or ALL',
  '^(SIG[A-Z0-9+]+|[0-9]{1,2})$': 'a signal name such as SIGTERM, or its number',
};

export function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function ajvPath(instancePath: string): PathSegment[] {
  return instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describeAjvError(e: ErrorObject): FieldIssue {
  const path = ajvPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': return { path: [...path, String(p.missingProperty)], message: 'required field is missing' };
    case 'additionalProperties': return { path: [...path, String(p.additionalProperty)], message: 'unknown field' };
    case 'enum': return { path, message: `must be one of: ${(p.allowedValues as unknown[]).join(', ')}` };
    case 'type': {
      const want = ([] as unknown[]).concat(p.type).join(' or ');
      return { path, message: `must be of type ${want.replace('integer or string', 'integer or string (quote decimals: "0.5")')}` };
    }
    case 'pattern': {
      const pattern = String(p.pattern);
      if (path.at(-1) === 'image') return { path, message: 'must be an image reference ([registry/]repository[:tag][@digest], lowercase repository)' };
      return { path, message: `must be ${PATTERN_WORDS[pattern] ?? `text matching ${pattern}`}` };
    }
    default: return { path, message: e.message ?? e.keyword };
  }
}

function jsType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** Whether `value` has the type the schema wants (CEL rules only run on well-typed nodes). */
function typeMatches(schema: SchemaNode, value: unknown): boolean {
  const want = schema['x-kubernetes-int-or-string'] ? ['integer', 'string'] : schema.type === undefined ? undefined : ([] as string[]).concat(schema.type);
  if (want === undefined) return true;
  const have = jsType(value);
  return want.includes(have) || (have === 'integer' && want.includes('number'));
}

/** List-map keys, list sets and the CEL twins, over a schema and a (defaulted) value. */
function walk(schema: SchemaNode, value: unknown, path: PathSegment[], out: FieldIssue[]): void {
  if (value === undefined || !typeMatches(schema, value)) return;
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const twin = RULE_TWINS[rule.message];
    if (!twin) throw new Error(`CEL rule at ${formatPath(path) || '<root>'} has no TypeScript twin: "${rule.message}"`);
    for (const v of twin(value)) out.push({ path: [...path, ...v.path], message: v.detail ? `${rule.message}: ${v.detail}` : rule.message });
  }
  if (Array.isArray(value)) {
    checkListType(schema, value, path, out);
    if (schema.items) value.forEach((item, i) => walk(schema.items!, item, [...path, i], out));
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const sub = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (sub) walk(sub, child, [...path, key], out);
    }
  }
}

function checkListType(schema: SchemaNode, items: unknown[], path: PathSegment[], out: FieldIssue[]): void {
  const type = schema['x-kubernetes-list-type'];
  if (type !== 'map' && type !== 'set') return;
  const keyFields = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const key = type === 'set' ? JSON.stringify(item)
      : JSON.stringify(keyFields.map((k) => (item as Record<string, unknown> | null)?.[k]));
    if (seen.has(key)) {
      const what = type === 'set' ? `value ${JSON.stringify(item)}`
        : keyFields.map((k) => `${k}=${JSON.stringify((item as Record<string, unknown>)[k])}`).join(', ');
      out.push({ path: [...path, i], message: `duplicate entry: ${what} appears more than once` });
    }
    seen.add(key);
  });
}

export class ResourceValidator {
  private readonly compiled = new Map<string, { kind: ResourceKind; check: ValidateFunction }>();

  constructor(kinds: ResourceKind[] = loadResourceKinds()) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false, allowUnionTypes: true });
    addFormats(ajv, ['date-time']);
    ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    ajv.addVocabulary(['x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
      'x-kubernetes-int-or-string', 'x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource']);
    for (const kind of kinds) this.compiled.set(`${kind.apiVersion}/${kind.kind}`, { kind, check: ajv.compile(kind.schema) });
  }

  /** The known kinds, e.g. for error messages. */
  kinds(): ResourceKind[] { return [...this.compiled.values()].map((c) => c.kind); }

  kindOf(apiVersion: unknown, kind: unknown): ResourceKind | undefined {
    return this.compiled.get(`${String(apiVersion)}/${String(kind)}`)?.kind;
  }

  /** Validate one document. Unknown apiVersion/kind is an issue at `apiVersion`. */
  validate<T = Record<string, unknown>>(document: unknown): ResourceResult<T> {
    const object = structuredClone(document) as Record<string, unknown>;
    if (!object || typeof object !== 'object' || Array.isArray(object)) {
      return { issues: [{ path: [], message: 'must be a mapping with apiVersion, kind, metadata and spec' }], object: object as T };
    }
    const entry = this.compiled.get(`${String(object.apiVersion)}/${String(object.kind)}`);
    if (!entry) {
      const known = this.kinds().map((k) => `${k.apiVersion} ${k.kind}`).join(', ');
      return { issues: [{ path: ['kind'], message: `unknown apiVersion/kind ${String(object.apiVersion)} ${String(object.kind)} (known: ${known})` }], object: object as T };
    }
    const issues: FieldIssue[] = [];
    if (!entry.check(object)) issues.push(...(entry.check.errors ?? []).map(describeAjvError));
    walk(entry.kind.crdSchema, object, [], issues);
    // The rules CEL cannot express within the apiserver's cost limits (see depends-on.ts).
    if (entry.kind.kind === 'ContainerHost') issues.push(...dependencyIssues(object.spec));
    // A set's template is checked like a host's containers (its dependsOn name the template's own).
    if (entry.kind.kind === 'ContainerSet') {
      const template = (object.spec as { template?: unknown } | undefined)?.template;
      issues.push(...dependencyIssues(template).map((i) => ({ ...i, path: ['spec', 'template', ...i.path.slice(1)] })));
    }
    return { kind: entry.kind, issues: dedupe(issues), object: object as T };
  }
}

function dedupe(issues: FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => { const k = `${formatPath(i.path)}\0${i.message}`; if (seen.has(k)) return false; seen.add(k); return true; });
}
