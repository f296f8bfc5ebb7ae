// A template's containers with their tags pinned to the digests the poller last resolved: what a
// ContainerSet revision (and so its hash) is made of under imageUpdates.policy: Poll. Pure.
import type { ContainerDecl } from '../../protocol/resources.js';
import type { ImageDigests } from './digest-poller.js';
import { isPinned, pinImage } from './reference.js';

export type PinnedTemplate =
  | { ok: true; containers: ContainerDecl[] }
  /** Some tag has no digest yet: hold the rollout (never roll out an unpinned template). */
  | { ok: false; waiting: string[]; message: string };

/** The images of CONTAINERS a poller should watch (already pinned ones need none). */
export function imagesToWatch(containers: readonly ContainerDecl[]): string[] {
  return [...new Set(containers.map((c) => c.image).filter((i) => !isPinned(i)))].sort();
}

/** CONTAINERS with each tag replaced by image@digest; or which images are still waiting, and why. */
export function pinTemplate(containers: readonly ContainerDecl[], digests: ImageDigests): PinnedTemplate {
  const waiting: string[] = [];
  const reasons: string[] = [];
  const out = containers.map((c) => {
    if (isPinned(c.image)) return c;
    const digest = digests.digest(c.image);
    if (digest === undefined) {
      if (!waiting.includes(c.image)) {
        waiting.push(c.image);
        const error = digests.error(c.image);
        reasons.push(error ? `${c.image}: ${error}` : `${c.image}: digest not resolved yet`);
      }
      return c;
    }
    return { ...c, image: pinImage(c.image, digest) };
  });
  return waiting.length === 0 ? { ok: true, containers: out } : { ok: false, waiting, message: `waiting for image digests: ${reasons.join('; ')}` };
}
