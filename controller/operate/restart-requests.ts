// Directory mode's `berth restart` requests, kept in the state directory (`<state>/restarts.json`,
// 0600, written atomically) rather than in the manifests: those are the user's files — often a git
// checkout that `git pull` must fast-forward — and a controller that rewrote them would dirty the
// checkout, race editors and lose formatting (docs/api-decisions.md). Persisted, so a controller
// restart neither forgets a request nor repeats one (status.containers[].restartedFor says which
// are done). One request per host and container (or "all"); a newer one replaces the older.
import { readFileSync } from 'node:fs';
import type { ResourceKey } from '../api/types.js';
import { writeFileAtomic } from '../store/dir/atomic-file.js';
import type { StoredRestartRequest } from '../reconcile/restarts.js';

type FileShape = { hosts: Record<ResourceKey, StoredRestartRequest[]> };

export class RestartRequestFile {
  private hosts = new Map<ResourceKey, StoredRestartRequest[]>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as FileShape;
      for (const [key, list] of Object.entries(parsed.hosts ?? {})) if (Array.isArray(list)) this.hosts.set(key, list);
    } catch { /* absent or unreadable: no requests yet */ }
  }

  get(key: ResourceKey): StoredRestartRequest[] { return this.hosts.get(key) ?? []; }

  /** Record a request and persist it; resolves once it is on disk. */
  add(key: ResourceKey, request: StoredRestartRequest): Promise<void> {
    // The newest request wins per container anyway (restarts.ts); older ones of the same scope go.
    const list = this.get(key).filter((r) => (r.container ?? '') !== (request.container ?? ''));
    this.hosts.set(key, [...list, request]);
    const text = `${JSON.stringify({ hosts: Object.fromEntries(this.hosts) } satisfies FileShape, null, 2)}\n`;
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomic(this.path, text, 0o600));
    return this.writing;
  }
}
