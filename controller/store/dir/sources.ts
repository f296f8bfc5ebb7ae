// The pure half of the directory store: turning one manifest file's text into resources (with the
// same reader and validator `berth validate` uses), combining per-file results into the desired
// resource set while keeping the last good version of broken files, and diffing that set against
// what the store holds. No I/O here — scan.ts reads, watcher.ts watches, dir-store.ts folds and persists.
//
// THE RULE (the heart of the directory store):
//   * A file that fails to parse or validate is reported as a problem, and ITS resources keep their
//     last good version (the version from the last time that file parsed and validated, possibly
//     from before a restart). A broken file never deletes, changes or adds anything.
//   * A file is judged as a whole: one bad document makes the whole file broken.
//   * Only a resource that is gone from a file that parsed and validated, or whose file was
//     deleted, counts as deleted — and only once two scans in a row (at least one debounce apart)
//     agree that it is gone, so an editor that truncates or renames files mid-save, or a
//     half-finished `git pull`, cannot delete anything by being caught in the middle.
//   * A source we cannot look at (a configured path that vanished) is a problem, not a deletion.
import { checkDocument, describeResource } from '../../api/check.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { contentDigest } from './digest.js';
import { parseManifestText } from '../../api/manifests.js';
import type { ResourceValidator } from '../../api/validate.js';

/** Every kind a manifest directory may hold (state.json's shape check reads this list too). */
export const SOURCE_KINDS = ['ContainerHost', 'AgentToken', 'ContainerSet', 'Secret', 'ConfigMap'] as const;
export type SourceKind = typeof SOURCE_KINDS[number];

/** One resource as declared in a file: identity, where it came from, and its content. */
export interface SourceResource {
  /** `<kind>/<namespace>/<name>` — unique across kinds. */
  id: string;
  kind: SourceKind;
  namespace: string;
  name: string;
  file: string;
  /** 1-based position of the document in its file. */
  index: number;
  line?: number;
  /**
   * ContainerHost/AgentToken: the defaulted resource (apiVersion, kind, metadata {name, namespace,
   * labels?, annotations?}, spec) — server-set metadata and `status` from the file are dropped.
   * Secret: { type, data } with data values base64 (stringData folded in, as the apiserver does).
   * ConfigMap: { data } with data values base64 too (data and binaryData folded together).
   */
  object: Record<string, unknown>;
  /** SHA-256 of the canonical JSON of `object` (digest.ts): equal content ⇔ equal string. */
  content: string;
}

export interface SourceIssue { line?: number; message: string }

/** The result of looking at one file. */
export type FileScan =
  | { state: 'ok'; resources: SourceResource[] }
  | { state: 'broken'; issues: SourceIssue[] }
  /** Could not look (its configured path is missing): keep the last good version, no problem of its own. */
  | { state: 'unavailable' };

export interface LocatedProblem { source: string; line?: number; message: string }

export const resourceId = (kind: SourceKind, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Checks a core v1 Secret or ConfigMap the way the apiserver would for the fields we use. */
function checkSecret(value: Record<string, unknown>, namespaceDefault: string, kind: 'Secret' | 'ConfigMap' = 'Secret'): { issues: Array<{ path: string[]; message: string }>; secret?: { namespace: string; name: string; object: Record<string, unknown> } } {
  const issues: Array<{ path: string[]; message: string }> = [];
  const meta = isRecord(value.metadata) ? value.metadata : {};
  const name = meta.name;
  const namespace = meta.namespace ?? namespaceDefault;
  if (typeof name !== 'string' || name.length > 253 || !DNS_SUBDOMAIN.test(name)) issues.push({ path: ['metadata', 'name'], message: 'must be a DNS subdomain' });
  if (typeof namespace !== 'string' || namespace.length > 63 || !DNS_LABEL.test(namespace)) issues.push({ path: ['metadata', 'namespace'], message: 'must be a DNS label' });
  const type = value.type ?? 'Opaque';
  if (typeof type !== 'string') issues.push({ path: ['type'], message: 'must be of type string' });
  const data: Record<string, string> = {};
  // Secret: data is base64, stringData plain. ConfigMap: data is plain, binaryData base64.
  const fields = kind === 'Secret' ? ['data', 'stringData'] as const : ['binaryData', 'data'] as const;
  const encoded = kind === 'Secret' ? 'data' : 'binaryData';
  for (const field of fields) {
    const section = value[field];
    if (section === undefined || section === null) continue;
    if (!isRecord(section)) { issues.push({ path: [field], message: 'must be a mapping of keys to strings' }); continue; }
    for (const [k, v] of Object.entries(section)) {
      if (!SECRET_KEY.test(k) || k.length > 253) issues.push({ path: [field, k], message: "must be a key (letters, digits, '_', '-', '.')" });
      else if (typeof v !== 'string') issues.push({ path: [field, k], message: 'must be of type string' });
      else if (field === encoded && !BASE64.test(v.replace(/\s+/g, ''))) issues.push({ path: [field, k], message: 'must be base64-encoded' });
      // Messages name the field only — never the value.
      else data[k] = field === encoded ? v.replace(/\s+/g, '') : Buffer.from(v, 'utf8').toString('base64');
    }
  }
  if (issues.length || typeof name !== 'string' || typeof namespace !== 'string' || typeof type !== 'string') return { issues };
  return { issues, secret: { namespace, name, object: kind === 'Secret' ? { type, data } : { data } } };
}

/**
 * Parse and validate one file's text. Berth kinds go through checkDocument/ResourceValidator (the
 * `berth validate` path); core v1 Secrets get the checks above; every other kind is ignored.
 * Pure: the validator only holds compiled schemas.
 */
export function scanManifestText(text: string, file: string, validator: ResourceValidator, namespaceDefault = 'default'): FileScan {
  const resources: SourceResource[] = [];
  const issues: SourceIssue[] = [];
  for (const doc of parseManifestText(text, file)) {
    const report = checkDocument(doc, validator);
    if (report.status === 'invalid') {
      // As `berth validate` words it (formatIssues), minus the "file:line:" the problem carries separately.
      const what = doc.parseError ? `document ${doc.index}` : `${describeResource(report)} (document ${doc.index})`;
      for (const i of report.issues) issues.push({ line: i.line, message: `${what}: ${i.path ? `${i.path}: ` : ''}${i.message}` });
      continue;
    }
    const value = doc.value as Record<string, unknown>;
    if (report.status === 'skipped') {
      if (value.apiVersion !== 'v1' || (value.kind !== 'Secret' && value.kind !== 'ConfigMap')) continue;
      const coreKind = value.kind;
      const checked = checkSecret(value, namespaceDefault, coreKind);
      for (const i of checked.issues) {
        issues.push({ line: doc.lineOf(i.path), message: `${describeResource({ kind: coreKind, namespace: report.namespace, name: report.name })} (document ${doc.index}): ${i.path.join('.')}: ${i.message}` });
      }
      if (!checked.secret) continue;
      const { namespace, name, object } = checked.secret;
      resources.push({ id: resourceId(coreKind, namespace, name), kind: coreKind, namespace, name, file, index: doc.index,
        line: doc.lineOf(['metadata', 'name']), object, content: contentDigest(canonicalJson(object)) });
      continue;
    }
    const defaulted = report.object ?? {};
    const kind = defaulted.kind as 'ContainerHost' | 'AgentToken' | 'ContainerSet';
    const meta = (defaulted.metadata ?? {}) as Record<string, unknown>;
    const name = String(meta.name);
    const namespace = typeof meta.namespace === 'string' ? meta.namespace : namespaceDefault;
    // Only what the user declares: server-set metadata (uid, generation, ...) and status are ignored.
    const object: Record<string, unknown> = {
      apiVersion: defaulted.apiVersion, kind,
      metadata: { name, namespace, labels: meta.labels, annotations: meta.annotations },
      spec: defaulted.spec ?? {},
    };
    resources.push({ id: resourceId(kind, namespace, name), kind, namespace, name, file, index: doc.index,
      line: doc.lineOf(['metadata', 'name']), object, content: contentDigest(canonicalJson(object)) });
  }
  return issues.length ? { state: 'broken', issues } : { state: 'ok', resources };
}

export interface ResolvedSources {
  /** The last good resources of every file that still exists (or cannot be looked at). */
  lastGood: Map<string, SourceResource[]>;
  /** What the files declare now: last good versions for broken files, first definition wins. */
  desired: Map<string, SourceResource>;
  problems: LocatedProblem[];
}

/** The desired set from per-file last good resources: files in sorted order, first definition wins. */
export function collectDesired(lastGood: ReadonlyMap<string, readonly SourceResource[]>): { desired: Map<string, SourceResource>; problems: LocatedProblem[] } {
  const desired = new Map<string, SourceResource>();
  const problems: LocatedProblem[] = [];
  for (const file of [...lastGood.keys()].sort()) {
    for (const r of lastGood.get(file) ?? []) {
      const first = desired.get(r.id);
      if (first) {
        problems.push({ source: file, line: r.line, message: `${r.kind} ${r.namespace}/${r.name} (document ${r.index}) is already defined in ${first.file} (document ${first.index}); this definition is ignored` });
      } else {
        desired.set(r.id, r);
      }
    }
  }
  return { desired, problems };
}

/**
 * Combine the previous last-good resources per file with a fresh scan (see THE RULE above): ok
 * files replace their last good version, broken and unavailable files keep theirs, files missing
 * from the scan are gone. Pure.
 */
export function resolveSources(previous: ReadonlyMap<string, readonly SourceResource[]>, scan: ReadonlyMap<string, FileScan>): ResolvedSources {
  const lastGood = new Map<string, SourceResource[]>();
  const problems: LocatedProblem[] = [];
  for (const file of [...scan.keys()].sort()) {
    const result = scan.get(file)!;
    if (result.state === 'ok') {
      lastGood.set(file, result.resources);
    } else {
      const kept = previous.get(file);
      if (kept) lastGood.set(file, [...kept]);
      else if (result.state === 'broken') lastGood.set(file, []);
      if (result.state === 'broken') for (const i of result.issues) problems.push({ source: file, line: i.line, message: i.message });
    }
  }
  const collected = collectDesired(lastGood);
  return { lastGood, desired: collected.desired, problems: [...problems, ...collected.problems] };
}

export interface ResourceDiff {
  /** Resources that appeared or whose content changed. */
  upserted: SourceResource[];
  /** Ids gone from the desired set in this scan and the one before (confirmed deletions). */
  removed: string[];
  /** Ids gone in this scan only: kept for now; a confirming scan must follow. */
  pending: Set<string>;
  /** What the store holds after this diff (confirmed removals dropped, pending ones kept). */
  next: Map<string, SourceResource>;
}

/**
 * Diff what the store holds against the desired set. A resource missing from `desired` is only
 * removed when it was already missing in the previous scan (`pending`); otherwise it is kept and
 * reported as pending. With `confirm: false` removals take effect at once. Pure.
 */
export function diffResources(current: ReadonlyMap<string, SourceResource>, desired: ReadonlyMap<string, SourceResource>,
  pending: ReadonlySet<string> = new Set(), confirm = true): ResourceDiff {
  const upserted: SourceResource[] = [];
  const removed: string[] = [];
  const stillPending = new Set<string>();
  const next = new Map<string, SourceResource>();
  for (const [id, r] of desired) {
    const old = current.get(id);
    if (!old || old.content !== r.content) upserted.push(r);
    next.set(id, r);
  }
  for (const [id, old] of current) {
    if (desired.has(id)) continue;
    if (!confirm || pending.has(id)) removed.push(id);
    else { stillPending.add(id); next.set(id, old); }
  }
  upserted.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  removed.sort();
  return { upserted, removed, pending: stillPending, next };
}
