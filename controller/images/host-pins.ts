// A ContainerHost's own containers under spec.imageUpdates.policy: Poll: each container pulled
// Always gets its tag pinned to the digest the poller resolved, so a moved tag changes the spec hash
// and the container is recreated with the new image. Pure.
//
// Until the poller has a digest (a controller that just started), the digest the container already
// runs (its observed image, pinned by an earlier controller) stands in, so a restart recreates
// nothing; a container with neither is held ("unresolved": not created, nothing removed).
import type { ObservedContainer, PullAuth } from '../../protocol/container.js';
import type { ContainerDecl, ContainerHost } from '../api/types.js';
import { effectivePullPolicy } from '../reconcile/resolve.js';
import type { ImageDigests, WatchedImage } from './digest-poller.js';
import { isPinned, pinImage } from './reference.js';

export interface HostPins {
  /** HOST with the followed containers' images pinned (the same object when nothing is followed). */
  host: ContainerHost;
  /** The pins, as one string: part of the resolution's cache key. */
  variant: string;
  /** Containers held until their digest is known: name → message. */
  pending: Map<string, string>;
  /** What the poller should watch for this host. */
  watch: WatchedImage[];
}

/** The containers of HOST whose tags are followed: Poll is on and the container is pulled Always. */
export function followed(host: ContainerHost): ContainerDecl[] {
  if (host.spec.imageUpdates?.policy !== 'Poll') return [];
  return (host.spec.containers ?? []).filter((c) => !isPinned(c.image) && effectivePullPolicy(c.image, c.imagePullPolicy) === 'Always');
}

/** The digest an observed container runs, when it was created from IMAGE pinned ("IMAGE@sha256:…"). */
function runningDigest(image: string, observed: ObservedContainer | undefined): string | undefined {
  const m = observed ? /^(.*)@(sha256:[0-9a-f]{64})$/.exec(observed.image) : null;
  return m && m[1] === image ? m[2] : undefined;
}

export function pinHostImages(host: ContainerHost, digests: ImageDigests, observed: readonly ObservedContainer[] | undefined,
  authFor: (image: string) => PullAuth | undefined): HostPins {
  const follow = followed(host);
  const pending = new Map<string, string>();
  if (follow.length === 0) return { host, variant: '', pending, watch: [] };
  const interval = host.spec.imageUpdates?.intervalSeconds ?? 300;
  const byName = new Map((observed ?? []).map((o) => [o.name, o] as const));
  const pins = new Map<string, string>();
  for (const c of follow) {
    const digest = digests.digest(c.image) ?? runningDigest(c.image, byName.get(c.name));
    if (digest) pins.set(c.name, pinImage(c.image, digest));
    else {
      const error = digests.error(c.image);
      pending.set(c.name, `ImageDigestPending: ${c.image}: ${error ? `cannot resolve its digest: ${error}` : 'waiting for its digest from the registry'}`);
    }
  }
  const containers = (host.spec.containers ?? []).map((c) => (pins.has(c.name) ? { ...c, image: pins.get(c.name)! } : c));
  const watch = [...new Set(follow.map((c) => c.image))].map((image) => {
    const auth = authFor(image);
    return { image, intervalSeconds: interval, ...(auth ? { auth } : {}) };
  });
  return {
    host: { ...host, spec: { ...host.spec, containers } },
    variant: [...pins].map(([n, i]) => `${n}=${i}`).sort().join(','),
    pending, watch,
  };
}
