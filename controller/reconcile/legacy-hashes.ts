// Keyed spec hashes without recreating anything on upgrade (issue 12). Containers created by an
// earlier release carry the unkeyed hash of their spec (label berth.dev/spec-hash); this release
// computes the HMAC-keyed one. Where an observed container carries the legacy hash of exactly the
// spec now declared, it IS that spec: the plan goes on with the legacy hash (so no apply ever says
// "spec changed", and the agent, which compares labels, never recreates it), and status shows the
// keyed hash in its place (the legacy one is what let guesses of a Secret be tested offline). Once
// the spec really changes, the container is recreated with the keyed hash as usual. Pure.
import type { ContainerSpec, ObservedContainer } from '../../protocol/container.js';

export interface LegacyAdoption {
  /** The specs to plan with: the legacy hash wherever the observed container carries it. */
  desired: ReadonlyMap<string, ContainerSpec>;
  /** Container name → the keyed hash to show instead of the legacy one. */
  keyedFor: ReadonlyMap<string, { legacy: string; keyed: string }>;
}

export function adoptLegacyHashes(
  desired: ReadonlyMap<string, ContainerSpec>,
  legacy: ReadonlyMap<string, string>,
  observed: readonly ObservedContainer[] | undefined,
): LegacyAdoption {
  if (legacy.size === 0 || !observed?.length) return { desired, keyedFor: new Map() };
  const carried = new Map(observed.map((o) => [o.name, o.specHash]));
  let out: Map<string, ContainerSpec> | undefined;
  const keyedFor = new Map<string, { legacy: string; keyed: string }>();
  for (const [name, hash] of legacy) {
    const spec = desired.get(name);
    if (!spec || carried.get(name) !== hash) continue;
    out ??= new Map(desired);
    out.set(name, { ...spec, specHash: hash });
    keyedFor.set(name, { legacy: hash, keyed: spec.specHash });
  }
  return { desired: out ?? desired, keyedFor };
}

/** Replace adopted legacy hashes by their keyed twins in what is published (status, the observed view). */
export function showKeyed<T extends { name: string; specHash?: string }>(items: readonly T[], keyedFor: LegacyAdoption['keyedFor']): T[] {
  if (keyedFor.size === 0) return [...items];
  return items.map((c) => { const k = keyedFor.get(c.name); return k && c.specHash === k.legacy ? { ...c, specHash: k.keyed } : c; });
}
