// Image updates by digest (imageUpdates.policy: Poll): which tags are watched, by whom, how often,
// the digest each pointed to when last resolved, and who to tell when one moves. The resolver (the
// registry, or an agent that reaches it) is injected, and so is the clock, so the bookkeeping is
// testable without a registry; `start()` drives it with a timer.
//
// The interface the ContainerSet reconciler (and the host reconciler) uses is `ImageDigests`:
// `digest(image)` is what a revision pins as image@sha256:…, `undefined` until the first resolution
// (callers hold back instead of guessing, so a restart never rolls out an unpinned template).
import type { PullAuth } from '../../protocol/container.js';
import { errorMessage } from '../lib/errors.js';
import { isPinned } from './reference.js';

/** What a revision needs: the digest IMAGE's tag pointed to when last resolved. */
export interface ImageDigests {
  /** "sha256:…", or undefined when not resolved yet (or IMAGE is not watched, or is pinned already). */
  digest(image: string): string | undefined;
  /** The last resolution's error for IMAGE (kept until a resolution succeeds), for status messages. */
  error(image: string): string | undefined;
}

export interface WatchedImage {
  image: string;
  intervalSeconds: number;
  /** Credentials from the owner's imagePullSecrets for this image's registry. */
  auth?: PullAuth;
}

export type DigestResolver = (image: string, auth: PullAuth | undefined, signal: AbortSignal) => Promise<string>;

export interface DigestPollerOptions {
  resolve: DigestResolver;
  /** OWNERS watch an image whose digest moved (first resolution included): enqueue them. */
  onChange: (owners: string[], image: string, digest: string) => void;
  now?: () => number;
  /** The shortest interval honoured, whatever a spec says (registries rate-limit). Default 10 s. */
  minIntervalSeconds?: number;
  /** One resolution's time limit. Default 30 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

interface Entry {
  digest?: string;
  error?: string;
  /** When it is due next (ms); 0 = now. */
  due: number;
  inFlight: boolean;
}

export class DigestPoller implements ImageDigests {
  private readonly watches = new Map<string, WatchedImage[]>();   // owner → what it watches
  private readonly entries = new Map<string, Entry>();            // image → state
  private timer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();

  constructor(private readonly opts: DigestPollerOptions) {}

  private now(): number { return (this.opts.now ?? Date.now)(); }

  /** OWNER ("kind/ns/name") now watches IMAGES (replacing what it watched); [] stops watching. */
  track(owner: string, images: WatchedImage[]): void {
    const wanted = images.filter((w) => !isPinned(w.image));
    // Called on every pass of every host: the common cases (nothing followed, nothing changed) are O(1).
    const before = this.watches.get(owner);
    if (!before && wanted.length === 0) return;
    if (before && JSON.stringify(before) === JSON.stringify(wanted)) return;
    if (wanted.length === 0) this.watches.delete(owner); else this.watches.set(owner, wanted);
    for (const w of wanted) {
      const entry = this.entries.get(w.image);
      if (!entry) { this.entries.set(w.image, { due: 0, inFlight: false }); continue; }
      // New credentials for an image that failed: try them now, not an interval later (a fixed
      // imagePullSecret should unblock the owner at once).
      const old = before?.find((b) => b.image === w.image);
      if (entry.error !== undefined && JSON.stringify(old?.auth) !== JSON.stringify(w.auth)) entry.due = 0;
    }
    const live = new Set([...this.watches.values()].flat().map((w) => w.image));
    for (const image of this.entries.keys()) if (!live.has(image)) this.entries.delete(image);
  }

  digest(image: string): string | undefined { return this.entries.get(image)?.digest; }
  error(image: string): string | undefined { return this.entries.get(image)?.error; }

  /** Images watched, for status and tests. */
  watched(): string[] { return [...this.entries.keys()].sort(); }

  private ownersOf(image: string): { owners: string[]; interval: number; auth?: PullAuth } {
    const owners: string[] = [];
    let interval = Infinity;
    let auth: PullAuth | undefined;
    for (const [owner, list] of this.watches) {
      for (const w of list) {
        if (w.image !== image) continue;
        owners.push(owner);
        interval = Math.min(interval, w.intervalSeconds);
        auth ??= w.auth;
      }
    }
    return { owners: owners.sort(), interval: Math.max(interval, this.opts.minIntervalSeconds ?? 10), ...(auth ? { auth } : {}) };
  }

  /** Resolve every image that is due (each at most once at a time). Resolves when those finished. */
  async tick(): Promise<void> {
    const due = [...this.entries].filter(([, e]) => !e.inFlight && e.due <= this.now());
    await Promise.all(due.map(([image, e]) => this.poll(image, e)));
  }

  private async poll(image: string, entry: Entry): Promise<void> {
    const { auth, interval } = this.ownersOf(image);
    entry.inFlight = true;
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)]);
    try {
      const digest = await this.opts.resolve(image, auth, signal);
      if (this.entries.get(image) !== entry) return;                // untracked meanwhile
      entry.error = undefined;
      if (digest !== entry.digest) {
        this.opts.log?.(`image ${image}: ${entry.digest ? `digest moved ${entry.digest} → ${digest}` : `digest ${digest}`}`);
        entry.digest = digest;
        this.opts.onChange(this.ownersOf(image).owners, image, digest);
      }
    } catch (err) {
      // The last good digest stays: a registry outage must not change what runs.
      const message = errorMessage(err);
      if (message !== entry.error) this.opts.log?.(`image ${image}: cannot resolve its digest: ${message}`);
      entry.error = message;
    } finally {
      entry.inFlight = false;
      entry.due = this.now() + interval * 1000;
    }
  }

  /** Poll on a timer (every second it looks for due images). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.tick(); }, 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
  }
}
