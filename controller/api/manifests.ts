// Reading manifests: files and directories (recursive) of multi-document YAML, each document kept
// with where it came from (file, document index, line numbers of its fields) so every error can
// name the file, the document and the line of the offending field.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { isNode, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { PathSegment } from './rules.js';

export interface ManifestDocument {
  file: string;
  /** 1-based position of the document in its file. */
  index: number;
  /** The parsed value; undefined when the document could not be parsed. */
  value?: unknown;
  /** A YAML syntax error, with its line. */
  parseError?: { line: number; message: string };
  /** The line (1-based) of the deepest node along `path` that exists in the document. */
  lineOf(path: readonly PathSegment[]): number | undefined;
}

const MANIFEST_FILE = /\.ya?ml$/i;
/** Compose files (compose.yaml, docker-compose.prod.yml, ...) are never manifests; `berth convert compose` reads them. */
const COMPOSE_FILE = /^(docker-)?compose(\.[^./]+)*\.ya?ml$/i;

/**
 * Every manifest file under the given files and directories, sorted, skipping hidden entries and,
 * in directories, compose files (an app's directory often holds its compose.yaml beside the
 * converted manifests). A file named explicitly is always read.
 */
export function collectManifestFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const visit = (path: string, explicit: boolean): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name.startsWith('.') || name === 'node_modules') continue;
        visit(join(path, name), false);
      }
    } else if (explicit || (MANIFEST_FILE.test(path) && !COMPOSE_FILE.test(basename(path)))) {
      files.push(path);
    }
  };
  for (const p of paths) visit(p, true);
  return files;
}

/** Parse one file's text into its documents (empty documents are dropped). Pure. */
export function parseManifestText(text: string, file: string): ManifestDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream parses to an EmptyStream; it holds no documents and no errors.
    const errors = (docs as { errors?: Array<{ message: string; linePos?: Array<{ line: number }> }> }).errors ?? [];
    return errors.map((e, i) => ({ file, index: i + 1, parseError: { line: e.linePos?.[0]?.line ?? 1, message: e.message }, lineOf: () => undefined }));
  }
  const out: ManifestDocument[] = [];
  list.forEach((doc, i) => {
    const lineOf = (path: readonly PathSegment[]): number | undefined => {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    };
    const error = doc.errors[0];
    if (error) {
      out.push({ file, index: i + 1, parseError: { line: lineCounter.linePos(error.pos[0]).line, message: error.message.split('\n')[0]! }, lineOf });
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return;   // an empty document, e.g. a trailing `---`
    out.push({ file, index: i + 1, value, lineOf });
  });
  return out;
}

/** Read and parse every manifest under `paths`; file names are reported relative to `base`. */
export function readManifests(paths: readonly string[], base = process.cwd()): ManifestDocument[] {
  return collectManifestFiles(paths).flatMap((file) => parseManifestText(readFileSync(file, 'utf8'), relative(base, file) || file));
}
