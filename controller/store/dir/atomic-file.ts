// Small file helpers for the directory store's state directory: atomic replace (tmp file in the
// same directory, fsync, rename), atomic exclusive create, and a per-path serializer so that two
// writes of the same file never overtake each other.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function tmpPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

async function writeSynced(path: string, data: string, mode: number, flag: string, sync = true): Promise<void> {
  const fh = await fsp.open(path, flag, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);   // the umask may have narrowed (or a pre-existing file widened) the mode
    if (sync) await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Make `dir` (and parents) and set `dir` itself to `mode`. */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await fsp.mkdir(dir, { recursive: true, mode });
  await fsp.chmod(dir, mode);
}

/**
 * Replace `path` with `data` atomically: readers see the old or the new content, never a mix.
 * `sync: false` skips the fsync: still atomic if the process dies, but a power loss may leave the
 * old content — fine for data that is recomputed anyway (status), not for keys and tokens.
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600, opts: { sync?: boolean } = {}): Promise<void> {
  const tmp = tmpPath(path);
  try {
    await writeSynced(tmp, data, mode, 'wx', opts.sync ?? true);
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Create `path` with `data` only if it does not exist: true if we created it, false if it already
 * existed. The content is written to a tmp file first and hard-linked into place — link(2) fails
 * when the name exists, exactly like O_EXCL ('wx'), but a reader never sees a half-written file.
 * Where hard links are unsupported it falls back to an exclusive 'wx' create.
 */
export async function createFileExclusive(path: string, data: string, mode = 0o600): Promise<boolean> {
  const tmp = tmpPath(path);
  try {
    await writeSynced(tmp, data, mode, 'wx');
    try {
      await fsp.link(tmp, path);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV') throw err;
    }
    try {
      await writeSynced(path, data, mode, 'wx');
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
  } finally {
    await fsp.rm(tmp, { force: true });
  }
}

/** Runs async jobs one after another per key (e.g. per file path); a failed job does not block the next. */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, job: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(job, job);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return result;
  }

  /** Resolves once every job queued so far has finished. */
  async idle(): Promise<void> {
    while (this.tails.size) await Promise.all([...this.tails.values()]);
  }
}

/** At most `limit` jobs at once; the rest wait in arrival order. */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly limit: number) {}

  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try { return await job(); } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = this.waiting.shift();
      if (next) next(); else this.running--;
    }
  }
}
