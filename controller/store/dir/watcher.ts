// Watching a tree of manifests for changes. One plain (non-recursive) fs.watch per directory,
// because Node 20's recursive watcher on Linux watches files one by one and goes deaf to a file once
// it has been replaced by a rename — which is how git (a `git pull`) and most editors write. A
// directory watch sees every entry created, renamed or removed in it, whatever the file's inode.
// `sync()` brings the set of watched directories in line with the tree; call it after every scan.
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, relative, sep } from 'node:path';

export interface DirWatcherOptions {
  /** Directories and files to watch (for a file, its directory is watched and only its name counts). */
  roots: readonly string[];
  /** A directory never watched (the state directory, when it lies inside a root). */
  exclude?: string;
  onChange: () => void;
  onError?: (err: Error, dir: string) => void;
}

const hidden = (name: string) => name.startsWith('.') || name === 'node_modules';

export class DirWatcher {
  private readonly watchers = new Map<string, { watcher: FSWatcher; ino: number }>();
  private closed = false;

  constructor(private readonly opts: DirWatcherOptions) {}

  private excluded(dir: string): boolean {
    if (!this.opts.exclude) return false;
    const rel = relative(this.opts.exclude, dir);
    return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep));
  }

  /** Every directory that should be watched now, with the file name filter for single-file roots. */
  private wanted(): Map<string, { only?: string }> {
    const dirs = new Map<string, { only?: string }>();
    const walk = (dir: string): void => {
      if (this.excluded(dir)) return;
      dirs.set(dir, {});
      let entries: import('node:fs').Dirent[];
      try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
      for (const e of entries) if (e.isDirectory() && !hidden(e.name)) walk(join(dir, e.name));
    };
    for (const root of this.opts.roots) {
      let isDir: boolean;
      try { isDir = statSync(root).isDirectory(); } catch { continue; }   // missing: the store polls for it
      if (isDir) walk(root);
      else {
        const parent = join(root, '..');
        if (!dirs.has(parent)) dirs.set(parent, { only: relative(parent, root) });
      }
    }
    return dirs;
  }

  sync(): void {
    if (this.closed) return;
    const wanted = this.wanted();
    for (const [dir, w] of this.watchers) {
      let ino: number | undefined;
      try { ino = statSync(dir).ino; } catch { ino = undefined; }
      if (!wanted.has(dir) || ino !== w.ino) { w.watcher.close(); this.watchers.delete(dir); }   // gone or replaced
    }
    for (const [dir, { only }] of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const ino = statSync(dir).ino;
        const watcher = watch(dir, (_event, filename) => {
          if (only !== undefined && filename !== null && String(filename) !== only) return;
          if (filename !== null && hidden(String(filename)) && only === undefined) return;
          this.opts.onChange();
        });
        watcher.on('error', (err) => {
          watcher.close();
          if (this.watchers.get(dir)?.watcher === watcher) this.watchers.delete(dir);
          this.opts.onError?.(err, dir);
          this.opts.onChange();
        });
        this.watchers.set(dir, { watcher, ino });
      } catch (err) {
        this.opts.onError?.(err as Error, dir);
      }
    }
  }

  /** The directories watched now (for tests and diagnostics). */
  watched(): string[] { return [...this.watchers.keys()].sort(); }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w.watcher.close();
    this.watchers.clear();
  }
}
