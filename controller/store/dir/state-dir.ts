// The directory store's state directory (mode 0700, files 0600, every write atomic: tmp file +
// rename). One per-path serializer for everything written there (state.json, status files, token
// files), so two writes of the same file never overtake each other, and stop() can wait for all.
import { dirname, join, sep } from 'node:path';
import { ensureDir, KeyedSerializer, writeFileAtomic } from './atomic-file.js';
import { errorCode } from '../../lib/errors.js';

export class StateDir {
  private readonly writer = new KeyedSerializer();
  /** Directories of the state tree already made with the right mode (made once, not per write). */
  private readonly madeDirs = new Set<string>();

  constructor(readonly root: string) {}

  path(...parts: string[]): string { return join(this.root, ...parts); }

  /** Make the state directory itself (0700). */
  ensure(): Promise<void> { return ensureDir(this.root); }

  /** Runs `job` after every job queued before it for the same path. */
  run<T>(path: string, job: () => Promise<T>): Promise<T> { return this.writer.run(path, job); }

  /** Resolves once every job queued so far has finished. */
  idle(): Promise<void> { return this.writer.idle(); }

  /** Write a file of the state tree atomically, making its directories; remade if someone removed them. */
  async writeFile(path: string, text: string, opts: { sync?: boolean } = {}): Promise<void> {
    await this.ensureDirs(dirname(path));
    try {
      await writeFileAtomic(path, text, 0o600, opts);
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') throw err;
      this.madeDirs.clear();
      await this.ensureDirs(dirname(path));
      await writeFileAtomic(path, text, 0o600, opts);
    }
  }

  /** Make DIR and its parents below the state directory (mode 0700), once per run. */
  private async ensureDirs(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    const chain: string[] = [];
    for (let d = dir; d.startsWith(this.root + sep); d = dirname(d)) chain.unshift(d);
    for (const d of chain) {
      if (this.madeDirs.has(d)) continue;
      await ensureDir(d);
      this.madeDirs.add(d);
    }
  }
}
