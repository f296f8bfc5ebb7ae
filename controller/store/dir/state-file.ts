// state.json: what the directory store must remember across restarts — uids, generations and
// creation times (MetaRecord, by resource id), the resources it held (including removals awaiting
// confirmation), the last good version of every file (THE RULE survives a restart), tombstones of
// hosts awaiting cleanup, and the resourceVersion counter. Never Secrets, never status (status/ has
// its own files). The format is versioned; a state directory written by an older build must load.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ContainerHost } from '../../api/types.js';
import type { SourceResource } from './sources.js';
import { errorCode, errorMessage } from '../../lib/errors.js';
import type { StateDir } from './state-dir.js';
import { writeFileAtomic } from './atomic-file.js';
import { checkStateShape } from './state-shape.js';

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

/** The text of state.json for this state: stable (sorted) so that unchanged state gives the same text. */
export function stateText(s: StateInput): string {
  const noSecrets = (list: Iterable<SourceResource>): SourceResource[] => [...list].filter((r) => r.kind !== 'Secret');
  const state: PersistedState = {
    version: STATE_VERSION,
    resourceVersion: s.resourceVersion,
    files: Object.fromEntries([...s.lastGood].sort(([a], [b]) => (a < b ? -1 : 1)).map(([f, list]) => [f, noSecrets(list)])),
    held: noSecrets(s.held),
    meta: Object.fromEntries([...s.meta].sort(([a], [b]) => (a < b ? -1 : 1))),
    tombstones: s.hosts.filter((h) => h.metadata.deletionTimestamp).map(({ status: _status, ...h }) => h as ContainerHost),
  };
  return `${JSON.stringify(state, null, 1)}\n`;
}

export class StateFile {
  /** SHA-256 of the state.json last written (the text itself is tens of MB at thousands of hosts). */
  private lastPersisted = '';

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
    return checkStateShape(parsed, this.path);
  }

  /**
   * Write state.json if it changed. `text` is called when the write runs, not when it is queued, so
   * queued writes coalesce. Never throws: a failure is logged (the next change tries again).
   */
  persist(text: () => string): Promise<void> {
    const path = this.path;
    return this.dir.run(path, async () => {
      const content = text();
      const digest = createHash('sha256').update(content).digest('hex');
      if (digest === this.lastPersisted) return;
      await writeFileAtomic(path, content, 0o600);
      this.lastPersisted = digest;
    }).catch((err: unknown) => { this.log.error({ err: errorMessage(err), path }, 'cannot persist directory store state'); });
  }
}
