// One look at every manifest file (the I/O half of a directory-store scan; sources.ts has the pure
// rules that fold the result into the held set). Synchronous, so scans never interleave.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { sep } from 'node:path';
import { collectManifestFiles } from '../../api/manifests.js';
import type { ResourceValidator } from '../../api/validate.js';
import { scanManifestText, type FileScan, type LocatedProblem } from './sources.js';
import { errorCode, errorMessage } from '../../lib/errors.js';

export interface ManifestScan {
  /** Every file found (or, under a root that cannot be listed, every file known from it: unavailable). */
  files: Map<string, FileScan>;
  /** Configured paths that are missing or cannot be listed. */
  rootProblems: LocatedProblem[];
  /** Whether any file was read and parsed again, or vanished (else the state cannot have changed). */
  reparsed: boolean;
  /**
   * When to look again without a watch event: soon after a transient listing error, every second
   * while a configured path is missing (there is nothing to watch until it is back).
   */
  retryMs?: number;
}

export interface ManifestScannerOptions {
  roots: string[];
  validator: ResourceValidator;
  namespaceDefault: string;
  debounceMs: number;
}

export class ManifestScanner {
  /**
   * Each file's last parse, keyed by what stat(2) says of it. Every scan (a watch event anywhere, and
   * the periodic safety net) looks at every file; re-parsing and re-validating thousands of unchanged
   * manifests each time cost seconds of CPU per scan at 1,000 hosts (bench/scale). Any write changes
   * ctime (nanoseconds) and a replacement changes the inode, so an unchanged signature means
   * unchanged content.
   */
  private readonly parsed = new Map<string, { signature: string; scan: FileScan }>();

  constructor(private readonly o: ManifestScannerOptions) {}

  /** `known`: the files that had a last good version (kept as unavailable when their root cannot be listed). */
  scan(known: Iterable<string>): ManifestScan {
    const files = new Map<string, FileScan>();
    const rootProblems: LocatedProblem[] = [];
    let reparsed = false;
    let retryMs: number | undefined;
    const knownFiles = [...known];
    for (const root of this.o.roots) {
      let found: string[];
      try {
        found = collectManifestFiles([root]);
      } catch (err) {
        // The path (or part of it, mid-`git pull`) cannot be listed: keep what came from it.
        const gone = !existsSync(root);
        rootProblems.push({ source: root, message: gone ? 'path not found; resources from it keep their last good version' : `cannot list: ${errorMessage(err)}` });
        for (const file of knownFiles) if (file === root || file.startsWith(root + sep)) files.set(file, { state: 'unavailable' });
        retryMs = Math.min(retryMs ?? Infinity, gone ? Math.max(this.o.debounceMs, 1000) : this.o.debounceMs);
        continue;
      }
      for (const file of found) {
        let text: string;
        let signature: string;
        try {
          const st = statSync(file, { bigint: true });
          signature = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
          const cached = this.parsed.get(file);
          if (cached?.signature === signature) { files.set(file, cached.scan); continue; }
          text = readFileSync(file, 'utf8');
        } catch (err) {
          this.parsed.delete(file);
          reparsed = true;
          if (errorCode(err) === 'ENOENT') continue;   // removed since listing: gone
          files.set(file, { state: 'broken', issues: [{ message: `cannot read: ${errorMessage(err)}` }] });
          continue;
        }
        reparsed = true;
        const result = scanManifestText(text, file, this.o.validator, this.o.namespaceDefault);
        this.parsed.set(file, { signature, scan: result });
        files.set(file, result);
      }
    }
    for (const file of this.parsed.keys()) if (!files.has(file)) { this.parsed.delete(file); reparsed = true; }
    return { files, rootProblems, reparsed, ...(retryMs !== undefined ? { retryMs } : {}) };
  }
}
