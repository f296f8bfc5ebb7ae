// Status in directory mode: status/<Kind>/<ns>/<name>.json holds {uid, status}. Status is never read
// from the manifests, and a file only counts for the uid it names (a re-created resource starts
// without status).
//
// Written behind: the in-memory copy (what the API serves and the reconcilers read) is updated at
// once by the store and the file follows. A reconcile never waits for the disk — with thousands of
// hosts, four workers each waiting for a file write capped the whole controller at a few hundred
// reconciles a second — and writes of the same file coalesce: a status replaced before its write
// started is never written. Written without fsync. The store's stop() waits for every pending write.
// A crash may lose the last statuses; they are recomputed from the agents' reports after the restart
// anyway.
import { promises as fsp, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { keyOf, type AgentTokenStatus, type ContainerHostStatus, type ContainerSetStatus, type ResourceKey } from '../../api/types.js';
import type { StoreCache } from '../cache.js';
import { ConcurrencyLimit } from './atomic-file.js';
import { errorCode, errorMessage } from '../../lib/errors.js';
import type { StateDir } from './state-dir.js';

export type StatusKind = 'ContainerHost' | 'AgentToken' | 'ContainerSet';

export class StatusFiles {
  /** Status file path → the newest content not yet written. */
  private readonly pending = new Map<string, string>();
  /** Status files written at once: the libuv pool is shared with token signing and verification. */
  private readonly slots = new ConcurrencyLimit(8);

  /** `track` takes the background write (the store's stop() waits for it, and logs its failure). */
  constructor(private readonly dir: StateDir, private readonly log: Logger, private readonly track: (work: Promise<unknown>) => void) {}

  private path(kind: StatusKind, key: ResourceKey): string {
    const [namespace, name] = [key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)];
    return this.dir.path('status', kind, namespace, `${name}.json`);
  }

  /** The saved status of the resource with this uid, if any (synchronous: used while loading). */
  read(kind: StatusKind, key: ResourceKey, uid: string): unknown {
    try {
      const saved = JSON.parse(readFileSync(this.path(kind, key), 'utf8')) as { uid?: string; status?: unknown };
      return saved.uid === uid ? saved.status : undefined;
    } catch (err) {
      if (errorCode(err) !== 'ENOENT') this.log.warn({ kind, key, err: errorMessage(err) }, 'ignoring unreadable status file');
      return undefined;
    }
  }

  /** Give every resource in the cache its saved status (while loading). */
  restoreInto(cache: StoreCache): void {
    for (const host of cache.hosts()) {
      const status = this.read('ContainerHost', keyOf(host.metadata), host.metadata.uid);
      if (status) cache.setHost(keyOf(host.metadata), { ...host, status: status as ContainerHostStatus });
    }
    for (const token of cache.tokens()) {
      const status = this.read('AgentToken', keyOf(token.metadata), token.metadata.uid);
      if (status) cache.setToken(keyOf(token.metadata), { ...token, status: status as AgentTokenStatus });
    }
    for (const set of cache.sets()) {
      const status = this.read('ContainerSet', keyOf(set.metadata), set.metadata.uid);
      if (status) cache.setSet(keyOf(set.metadata), { ...set, status: status as ContainerSetStatus });
    }
  }

  /** Queue the write of the newest status; returns at once. */
  write(kind: StatusKind, key: ResourceKey, uid: string, status: unknown): void {
    const path = this.path(kind, key);
    const queued = this.pending.has(path);
    this.pending.set(path, `${JSON.stringify({ uid, status })}\n`);
    if (queued) return;   // the write already queued for this file picks up the newest content
    this.track(this.dir.run(path, async () => {
      const text = this.pending.get(path);
      this.pending.delete(path);
      if (text === undefined) return;   // removed meanwhile
      await this.slots.run(() => this.dir.writeFile(path, text, { sync: false }));
    }));
  }

  /** Write the status and sync it before resolving (a set's status: hosts act on it). */
  async writeDurable(kind: StatusKind, key: ResourceKey, uid: string, status: unknown): Promise<void> {
    const path = this.path(kind, key);
    this.pending.delete(path);
    const text = `${JSON.stringify({ uid, status })}\n`;
    await this.dir.run(path, () => this.slots.run(() => this.dir.writeFile(path, text, { sync: true })));
  }

  /** Drop the status file (and any write of it not yet started). Never throws. */
  remove(kind: StatusKind, key: ResourceKey): Promise<void> {
    const path = this.path(kind, key);
    this.pending.delete(path);
    return this.dir.run(path, () => fsp.rm(path, { force: true }))
      .catch((err: unknown) => { this.log.warn({ err: errorMessage(err), path }, 'cannot remove status file'); });
  }
}
