// What a DirectoryStore is built from (dir-store.ts re-exports it): the manifest paths, the state
// directory and the timings that keep a brief file removal from ever counting as a deletion.
import type { Logger } from 'pino';
import type { ResourceValidator } from '../../api/validate.js';

export interface DirectoryStoreOptions {
  /** Directories (recursive) and files of manifests. */
  paths: string[];
  stateDir: string;
  logger?: Logger;
  /** Quiet time after a file change before re-scanning (default 50 ms: a user waits on it). */
  debounceMs?: number;
  /**
   * How long a resource must stay gone, across two scans, before it counts as deleted (default
   * 1 s). Longer than the debounce on purpose: a checkout or an editor that briefly removes a file
   * must never turn into a deleted host whose containers the controller then removes.
   */
  deleteConfirmMs?: number;
  /** Namespace of resources that name none (default "default"). */
  namespaceDefault?: string;
  /** Full re-scan interval as a safety net for missed watch events (default 30 s; 0 = off). */
  resyncMs?: number;
  /** The validator to use (default: one built from the package's CRDs). */
  validator?: ResourceValidator;
  /** The CA agents verify the controller with (PEM): written as `ca.crt` beside the token files. */
  agentCa?: string;
}
