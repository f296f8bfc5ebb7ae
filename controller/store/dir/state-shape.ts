// The shape of state.json, checked before the store believes a byte of it (issue 12: a state.json
// of the wrong shape used to abort the start with a bare TypeError deep in the store). A wrong
// shape is reported with the field that is wrong and what to do; nothing is repaired or replaced
// silently (uids, tombstones and generations live there). Pure.
import type { PersistedState } from './state-file.js';

type Path = string;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SOURCE_KINDS = new Set(['ContainerHost', 'AgentToken', 'Secret', 'ConfigMap']);

/** The first problem found, as "FIELD: what it must be", or undefined when the shape is right. */
export function stateShapeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'the file must hold a JSON object';
  if (value.version !== 1) return `version: ${JSON.stringify(value.version) ?? 'missing'}, expected 1`;
  if (typeof value.resourceVersion !== 'number' || !Number.isSafeInteger(value.resourceVersion) || value.resourceVersion < 0) return 'resourceVersion: must be a whole number';
  if (!isObject(value.files)) return 'files: must be an object (file → resources)';
  for (const [file, list] of Object.entries(value.files)) {
    if (!Array.isArray(list)) return `files[${JSON.stringify(file)}]: must be a list of resources`;
    for (let i = 0; i < list.length; i++) { const p = resourceProblem(list[i], `files[${JSON.stringify(file)}][${i}]`); if (p) return p; }
  }
  if (!Array.isArray(value.held)) return 'held: must be a list of resources';
  for (let i = 0; i < value.held.length; i++) { const p = resourceProblem(value.held[i], `held[${i}]`); if (p) return p; }
  if (!isObject(value.meta)) return 'meta: must be an object (resource id → record)';
  for (const [id, m] of Object.entries(value.meta)) {
    const at = `meta[${JSON.stringify(id)}]`;
    if (!isObject(m)) return `${at}: must be an object`;
    if (typeof m.uid !== 'string' || !m.uid) return `${at}.uid: must be a non-empty string`;
    if (typeof m.generation !== 'number' || !Number.isSafeInteger(m.generation) || m.generation < 1) return `${at}.generation: must be a whole number from 1`;
    if (typeof m.creationTimestamp !== 'string') return `${at}.creationTimestamp: must be a string`;
    if (typeof m.specJson !== 'string') return `${at}.specJson: must be a string`;
  }
  if (!Array.isArray(value.tombstones)) return 'tombstones: must be a list of ContainerHosts';
  for (let i = 0; i < value.tombstones.length; i++) {
    const h = value.tombstones[i];
    const at = `tombstones[${i}]`;
    if (!isObject(h) || !isObject(h.metadata)) return `${at}.metadata: must be an object`;
    for (const f of ['name', 'namespace', 'uid'] as const) if (typeof h.metadata[f] !== 'string' || !h.metadata[f]) return `${at}.metadata.${f}: must be a non-empty string`;
    if (h.spec !== undefined && !isObject(h.spec)) return `${at}.spec: must be an object`;
  }
  return undefined;
}

function resourceProblem(r: unknown, at: Path): string | undefined {
  if (!isObject(r)) return `${at}: must be an object`;
  for (const f of ['id', 'namespace', 'name', 'file', 'content'] as const) if (typeof r[f] !== 'string') return `${at}.${f}: must be a string`;
  if (typeof r.kind !== 'string' || !SOURCE_KINDS.has(r.kind)) return `${at}.kind: must be one of ${[...SOURCE_KINDS].join(', ')}`;
  if (typeof r.index !== 'number') return `${at}.index: must be a number`;
  if (!isObject(r.object)) return `${at}.object: must be an object`;
  if ((r.kind === 'Secret' || r.kind === 'ConfigMap') && !isObject(r.object.data)) return `${at}.object.data: must be an object`;
  if ((r.kind === 'ContainerHost' || r.kind === 'AgentToken') && r.object.spec !== undefined && !isObject(r.object.spec)) return `${at}.object.spec: must be an object`;
  return undefined;
}

/** Narrow VALUE to the persisted state, or throw an error naming the file, the field and the way out. */
export function checkStateShape(value: unknown, path: string): PersistedState {
  const problem = stateShapeProblem(value);
  if (problem) {
    throw new Error(`directory store: state file ${path} is not a Berth state file (${problem}); `
      + 'restore it from a backup, or move it away to start from scratch — uids, tombstones and generations would be lost');
  }
  return value as unknown as PersistedState;
}
