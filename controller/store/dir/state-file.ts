// state.json: what the directory store must remember across restarts — uids, generations and
// creation times (MetaRecord, by resource id), the resources it held (including removals awaiting
// confirmation), the last good version of every file (THE RULE survives a restart), tombstones of
// hosts awaiting cleanup, and the resourceVersion counter. Never Secrets, never status (status/ has
// its own files). The format is versioned; a state directory written by an older build must load.
import { createHash } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ContainerHost } from '../../api/types.js';
import type { SourceResource } from './sources.js';
import { errorCode, errorMessage } from '../../lib/errors.js';
import type { StateDir } from './state-dir.js';
import { tmpPath } from './atomic-file.js';
import { asDigest } from './digest.js';
import { checkStateShape } from './state-shape.js';

/** `specJson` is, despite its name, the spec's digest (digest.ts); older state files held the JSON. */
export interface MetaRecord { uid: string; generation: number; creationTimestamp: string; specJson: string }

export interface PersistedState {
  version: 1;
  resourceVersion: number;
  /** Last good resources per file (no Secrets). */
  files: Record<string, SourceResource[]>;
  /** What the store held (including removals awaiting confirmation; no Secrets). */
  held: SourceResource[];
  meta: Record<string, MetaRecord>;
  tombstones: ContainerHost[];
}

export const STATE_VERSION = 1;

export interface StateInput {
  resourceVersion: number;
  lastGood: ReadonlyMap<string, readonly SourceResource[]>;
  held: Iterable<SourceResource>;
  meta: ReadonlyMap<string, MetaRecord>;
  /** Every host, sorted by key; the tombstones (deletionTimestamp set) are kept, without status. */
  hosts: readonly ContainerHost[];
}

/**
 * What state.json will hold, taken at once (synchronously) as references: the lists are copied,
 * the records they point to are not (the store replaces them, it never edits them), so the text can
 * be produced piece by piece across awaits and still describe one moment.
 */
export interface StateSnapshot {
  resourceVersion: number;
  files: Array<[string, SourceResource[]]>;
  held: SourceResource[];
  meta: Array<[string, MetaRecord]>;
  tombstones: ContainerHost[];
}

export function stateSnapshot(s: StateInput): StateSnapshot {
  const noSecrets = (list: Iterable<SourceResource>): SourceResource[] => [...list].filter((r) => r.kind !== 'Secret');
  const byName = <T>([a]: [string, T], [b]: [string, T]) => (a < b ? -1 : 1);
  return {
    resourceVersion: s.resourceVersion,
    files: [...s.lastGood].sort(byName).map(([f, list]) => [f, noSecrets(list)]),
    held: noSecrets(s.held),
    meta: [...s.meta].sort(byName),
    tombstones: s.hosts.filter((h) => h.metadata.deletionTimestamp).map(({ status: _status, ...h }) => h as ContainerHost),
  };
}

/**
 * The text of state.json in pieces of one record each: stable (sorted), so unchanged state gives
 * the same text, and never whole in memory — at 10,000 hosts the text is ~200 MB, and building it
 * as one string (then hashing it and encoding it for the write: two more copies) was the largest
 * part of the controller's start-up peak. Compact JSON (the indented form was a third larger).
 */
export function* stateChunks(s: StateSnapshot): Generator<string> {
  const j = (v: unknown) => JSON.stringify(v);
  yield `{"version":${STATE_VERSION},"resourceVersion":${s.resourceVersion},"files":{`;
  for (let i = 0; i < s.files.length; i++) yield `${i ? ',' : ''}${j(s.files[i]![0])}:${j(s.files[i]![1])}`;
  yield '},"held":[';
  for (let i = 0; i < s.held.length; i++) yield `${i ? ',' : ''}${j(s.held[i])}`;
  yield '],"meta":{';
  for (let i = 0; i < s.meta.length; i++) yield `${i ? ',' : ''}${j(s.meta[i]![0])}:${j(s.meta[i]![1])}`;
  yield `},"tombstones":${j(s.tombstones)}}\n`;
}

/** The whole text (tests, small states). */
export function stateText(s: StateInput): string { return [...stateChunks(stateSnapshot(s))].join(''); }

/** Chunks are gathered to about this many characters per write (few syscalls, little memory). */
const WRITE_BATCH = 1 << 20;

/** An older state file's JSON copies replaced by their digests (what the current code computes). */
function withDigests(state: PersistedState): PersistedState {
  const digested = (r: SourceResource): SourceResource => ({ ...r, content: asDigest(r.content) });
  return {
    ...state,
    files: Object.fromEntries(Object.entries(state.files).map(([f, list]) => [f, list.map(digested)])),
    held: state.held.map(digested),
    meta: Object.fromEntries(Object.entries(state.meta).map(([id, m]) => [id, { ...m, specJson: asDigest(m.specJson) }])),
  };
}

export class StateFile {
  /** SHA-256 of the state.json last written (the text itself is tens of MB at thousands of hosts). */
  private lastPersisted = '';
  /** The persist queued and not yet started, which a new request joins. */
  private queued: Promise<void> | undefined;

  constructor(private readonly dir: StateDir, private readonly log: Logger) {}

  get path(): string { return this.dir.path('state.json'); }

  /** What the last run left, or undefined on a first start. Throws (with what to do) when unreadable. */
  load(): PersistedState | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.path, 'utf8'));
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return undefined;
      throw new Error(`directory store: state file ${this.path} is unreadable (${errorMessage(err)}); move it away to start from scratch — uids, tombstones and generations would be lost`);
    }
    const version = (parsed as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > STATE_VERSION) {
      throw new Error(`directory store: state file ${this.path} has version ${version}, written by a newer Berth (this one reads ${STATE_VERSION}); run that release, or restore a backup`);
    }
    return withDigests(checkStateShape(parsed, this.path));
  }

  /**
   * Write state.json if it changed. `snapshot` is called when the write runs, not when it is
   * queued, and a persist asked for while one is still queued joins it: queued writes coalesce
   * (a start-up scan and start() itself both ask). The text is streamed to a tmp file while it is
   * hashed; unchanged text is thrown away, changed text renamed into place (atomic, fsync'd).
   * Never throws: a failure is logged (the next change tries again).
   */
  persist(snapshot: () => StateSnapshot): Promise<void> {
    if (this.queued) return this.queued;
    const path = this.path;
    const queued = this.dir.run(path, async () => {
      this.queued = undefined;
      const digest = await this.writeTmp(path, snapshot());
      if (digest.same) { await fsp.rm(digest.tmp, { force: true }); return; }
      try { await fsp.rename(digest.tmp, path); } catch (err) { await fsp.rm(digest.tmp, { force: true }); throw err; }
      this.lastPersisted = digest.hex;
    }).catch((err: unknown) => { this.log.error({ err: errorMessage(err), path }, 'cannot persist directory store state'); });
    this.queued = queued;
    return queued;
  }

  private async writeTmp(path: string, snap: StateSnapshot): Promise<{ tmp: string; hex: string; same: boolean }> {
    const tmp = tmpPath(path);
    const hash = createHash('sha256');
    const fh = await fsp.open(tmp, 'wx', 0o600);
    try {
      let batch: string[] = []; let size = 0;
      const flush = async () => {
        const buf = Buffer.from(batch.join(''));
        batch = []; size = 0;
        hash.update(buf);
        await fh.writeFile(buf);   // writes it all, from the current position
      };
      for (const chunk of stateChunks(snap)) {
        batch.push(chunk); size += chunk.length;
        if (size >= WRITE_BATCH) await flush();
      }
      await flush();
      await fh.chmod(0o600);   // the umask may have narrowed the mode
      const hex = hash.digest('hex');
      const same = hex === this.lastPersisted;
      if (!same) await fh.sync();
      await fh.close();
      return { tmp, hex, same };
    } catch (err) {
      await fh.close().catch(() => undefined);   // already closed when close() itself failed
      await fsp.rm(tmp, { force: true });
      throw err;
    }
  }
}
