// Merging compose files the way `docker compose -f a.yaml -f b.yaml` does (the Compose
// Specification's "Merge and override"): mappings merge recursively, scalars are replaced, shell
// commands (command, entrypoint, healthcheck.test) are replaced, environment/labels/sysctls/
// extra_hosts merge by key (list or map syntax alike), ports/volumes/secrets/configs merge by their
// target, other sequences append without duplicates. Also `extends` (same file or another one) and
// profiles. Pure: files are handed in already parsed.

export type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** list ["A=1", "B"] or map {A: 1} → map; `B` without a value maps to null (taken from the environment). */
export function keyed(value: unknown, sep = '='): Json {
  if (isMap(value)) return { ...value };
  const out: Json = {};
  for (const item of Array.isArray(value) ? value : []) {
    const s = String(item);
    const i = s.indexOf(sep);
    if (i < 0) out[s] = null; else out[s.slice(0, i)] = s.slice(i + 1);
  }
  return out;
}

const REPLACED = new Set(['command', 'entrypoint']);
const KEYED: Record<string, string> = { environment: '=', labels: '=', annotations: '=', sysctls: '=', extra_hosts: ':' };
/** Sequences whose items are identified by a target path (later files replace the same target). */
const BY_TARGET = new Set(['volumes', 'secrets', 'configs', 'devices']);

function targetOf(field: string, item: unknown): string {
  if (isMap(item)) return String(item.target ?? item.source ?? JSON.stringify(item));
  const s = String(item);
  if (field === 'secrets' || field === 'configs') return s;
  const parts = s.split(':');
  return parts.length >= 2 ? parts[1]! : parts[0]!;
}

function mergeList(field: string, base: unknown[], over: unknown[]): unknown[] {
  if (BY_TARGET.has(field)) {
    const out = new Map<string, unknown>();
    for (const item of [...base, ...over]) out.set(targetOf(field, item), item);
    return [...out.values()];
  }
  const seen = new Set<string>();
  return [...base, ...over].filter((item) => { const k = JSON.stringify(item); if (seen.has(k)) return false; seen.add(k); return true; });
}

export function mergeService(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [field, value] of Object.entries(over)) {
    const prev = out[field];
    if (prev === undefined || value === null || REPLACED.has(field)) out[field] = value;
    else if (KEYED[field] !== undefined) out[field] = { ...keyed(prev, KEYED[field]), ...keyed(value, KEYED[field]) };
    else if (field === 'healthcheck' && isMap(prev) && isMap(value)) out[field] = { ...prev, ...value };
    else if (field === 'depends_on' || field === 'networks') out[field] = { ...asMap(prev), ...asMap(value) };
    else if (Array.isArray(prev) && Array.isArray(value)) out[field] = mergeList(field, prev, value);
    else if (isMap(prev) && isMap(value)) out[field] = mergeMaps(prev, value);
    else out[field] = value;
  }
  return out;
}

/** depends_on / networks: list syntax → map syntax, so both merge alike. */
function asMap(value: unknown): Json {
  if (isMap(value)) return value;
  return Object.fromEntries((Array.isArray(value) ? value : []).map((n) => [String(n), null]));
}

function mergeMaps(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isMap(out[k]) && isMap(v) ? mergeMaps(out[k] as Json, v) : v;
  return out;
}

/** Merges whole compose files, later ones overriding earlier ones. */
export function mergeFiles(files: readonly Json[]): Json {
  const out: Json = {};
  for (const file of files) {
    for (const [key, value] of Object.entries(file)) {
      if (key === 'services' && isMap(value)) {
        const services = { ...(isMap(out.services) ? out.services : {}) };
        for (const [name, svc] of Object.entries(value)) {
          services[name] = isMap(services[name]) && isMap(svc) ? mergeService(services[name] as Json, svc) : svc;
        }
        out.services = services;
      } else if (isMap(out[key]) && isMap(value)) out[key] = mergeMaps(out[key] as Json, value);
      else out[key] = value;
    }
  }
  return out;
}

export class ExtendsError extends Error {}

/**
 * Resolves `extends` in every service: the base service (from this project, or from another file
 * that `loadFile` parses and interpolates) is merged under the service. Cycles are an error.
 */
export function resolveExtends(services: Json, loadFile: (file: string) => Json, seen: string[] = []): Json {
  const resolved: Json = {};
  const resolveOne = (name: string, pool: Json, stack: string[], fileKey: string): Json => {
    const svc = pool[name];
    if (!isMap(svc)) throw new ExtendsError(`extends: service "${name}" not found${fileKey ? ` in ${fileKey}` : ''}`);
    const ext = svc.extends;
    if (ext === undefined) return svc;
    const { extends: _drop, ...own } = svc;
    const spec = typeof ext === 'string' ? { service: ext } : (ext as { service: string; file?: string });
    const key = `${spec.file ?? fileKey}#${spec.service}`;
    if (stack.includes(key)) throw new ExtendsError(`extends: cycle ${[...stack, key].join(' → ')}`);
    const basePool = spec.file ? ((loadFile(spec.file).services as Json | undefined) ?? {}) : pool;
    const base = resolveOne(spec.service, basePool, [...stack, key], spec.file ?? fileKey);
    return mergeService(base, own);
  };
  for (const name of Object.keys(services)) resolved[name] = resolveOne(name, services, [...seen, `#${name}`], '');
  return resolved;
}

/** Services active for the enabled profiles: those without `profiles`, and those naming an enabled one ("*" enables all). */
export function activeServices(services: Json, profiles: readonly string[]): { active: Json; skipped: Array<{ name: string; profiles: string[] }> } {
  const active: Json = {};
  const skipped: Array<{ name: string; profiles: string[] }> = [];
  for (const [name, svc] of Object.entries(services)) {
    const own = isMap(svc) && Array.isArray(svc.profiles) ? svc.profiles.map(String) : [];
    if (own.length === 0 || profiles.includes('*') || own.some((p) => profiles.includes(p))) active[name] = svc;
    else skipped.push({ name, profiles: own });
  }
  return { active, skipped };
}
