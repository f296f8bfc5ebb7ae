// Checking read manifests against the Berth schemas: one report per document, with every issue
// located (file, document, line, kind/namespace/name, field path). Used by `berth validate` and by
// the directory store, so both say the same thing about the same file.
import type { ManifestDocument } from './manifests.js';
import { formatPath, type ResourceValidator } from './validate.js';

export const BERTH_GROUP = 'berth.dev';

export interface LocatedIssue { path: string; line?: number; message: string }

export interface DocumentReport {
  file: string;
  index: number;
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  /** skipped: not a Berth resource (e.g. a Namespace or Secret kept in the same repository). */
  status: 'valid' | 'invalid' | 'skipped';
  issues: LocatedIssue[];
  /** The defaulted resource, when valid. */
  object?: Record<string, unknown>;
}

function str(v: unknown): string | undefined { return typeof v === 'string' ? v : undefined; }

export function checkDocument(doc: ManifestDocument, validator: ResourceValidator): DocumentReport {
  const base = { file: doc.file, index: doc.index };
  if (doc.parseError) {
    return { ...base, status: 'invalid', issues: [{ path: '', line: doc.parseError.line, message: `YAML: ${doc.parseError.message}` }] };
  }
  const value = doc.value as Record<string, unknown> | null | undefined;
  const meta = (value?.metadata ?? {}) as Record<string, unknown>;
  const ids = { apiVersion: str(value?.apiVersion), kind: str(value?.kind), namespace: str(meta.namespace), name: str(meta.name) };
  if (ids.apiVersion !== undefined && !ids.apiVersion.startsWith(`${BERTH_GROUP}/`)) {
    return { ...base, ...ids, status: 'skipped', issues: [] };
  }
  const result = validator.validate(value);
  const issues = result.issues
    .map((i) => ({ path: formatPath(i.path), line: doc.lineOf(i.path), message: i.message }))
    .sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || a.path.localeCompare(b.path));
  return issues.length
    ? { ...base, ...ids, status: 'invalid', issues }
    : { ...base, ...ids, status: 'valid', issues, object: result.object };
}

/** "ContainerHost games/box-1" or whatever of it is known. */
export function describeResource(r: Pick<DocumentReport, 'kind' | 'namespace' | 'name'>): string {
  const name = r.name ? (r.namespace ? `${r.namespace}/${r.name}` : r.name) : '<unnamed>';
  return `${r.kind ?? '<no kind>'} ${name}`;
}

/** One line per issue: `file:line: Kind ns/name (document N): field.path: message`. */
export function formatIssues(report: DocumentReport): string[] {
  return report.issues.map((i) =>
    `${report.file}:${i.line ?? 1}: ${describeResource(report)} (document ${report.index}): ${i.path ? `${i.path}: ` : ''}${i.message}`);
}
