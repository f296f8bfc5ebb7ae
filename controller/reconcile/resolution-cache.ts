// A host's containers resolved (secrets filled in, spec hashes computed), kept while the result
// cannot differ. A host is reconciled after every result and report of its agent — a dozen times
// while it converges, and again on every resync — and resolving hashes every container: at 5,000
// hosts × 10 containers that was the largest CPU cost of a cold start (bench/scale). Pure: the
// secrets come in through the lookup, which both stores answer from memory.
import type { ContainerSpec } from '../../protocol/container.js';
import type { ConfigMapData, ContainerHost, ResourceKey, SecretData } from '../api/types.js';
import { resolveContainer, type ConfigMapLookup, type SecretLookup } from './resolve.js';

export interface Resolution {
  /** Resolved containers by name. */
  desired: ReadonlyMap<string, ContainerSpec>;
  /** Declared containers that could not be resolved, with "<reason>: <message>". */
  unresolved: ReadonlyMap<string, string>;
  /** With a hash key: container name → the unkeyed hash of earlier releases, where it differs (legacy-hashes.ts). */
  legacy: ReadonlyMap<string, string>;
}

interface Entry extends Resolution {
  uid: string;
  generation: number;
  /** What else the host was resolved with: the set revisions it carried (set-merge.ts; a rollout step changes
   * the containers, not the generation) and the image pins of imageUpdates. */
  variant: string;
  /** Every Secret lookup made while resolving, with the object it returned. */
  secrets: Array<{ namespace: string; name: string; data: SecretData | undefined }>;
  /** Every ConfigMap lookup, likewise. */
  configMaps: Array<{ namespace: string; name: string; data: ConfigMapData | undefined }>;
}

export class ResolutionCache {
  private readonly entries = new Map<ResourceKey, Entry>();

  constructor(private readonly secrets: SecretLookup, private readonly configMaps: ConfigMapLookup = () => undefined, private readonly hashKey?: Buffer) {}

  /**
   * The resolution of HOST, reused while its uid, generation (the spec) and VARIANT are the same and every
   * Secret it looked up is still the same object — the stores replace a Secret's object when it
   * changes, and a missing Secret that appears is a different answer.
   */
  resolve(key: ResourceKey, host: ContainerHost, variant = ''): Resolution {
    const cached = this.entries.get(key);
    if (cached && cached.uid === host.metadata.uid && cached.generation === host.metadata.generation && cached.variant === variant
      && cached.secrets.every((s) => this.secrets(s.namespace, s.name) === s.data)
      && cached.configMaps.every((c) => this.configMaps(c.namespace, c.name) === c.data)) return cached;
    const used: Entry['secrets'] = [];
    const lookup: SecretLookup = (namespace, name) => {
      const data = this.secrets(namespace, name);
      used.push({ namespace, name, data });
      return data;
    };
    const usedMaps: Entry['configMaps'] = [];
    const mapLookup: ConfigMapLookup = (namespace, name) => {
      const data = this.configMaps(namespace, name);
      usedMaps.push({ namespace, name, data });
      return data;
    };
    const desired = new Map<string, ContainerSpec>();
    const unresolved = new Map<string, string>();
    const legacy = new Map<string, string>();
    for (const decl of host.spec.containers ?? []) {
      const resolved = resolveContainer(decl, host.metadata.namespace, lookup, mapLookup, this.hashKey);
      if (resolved.ok) { desired.set(decl.name, resolved.spec); if (resolved.legacySpecHash) legacy.set(decl.name, resolved.legacySpecHash); }
      else unresolved.set(decl.name, `${resolved.reason}: ${resolved.message}`);
    }
    const entry: Entry = { uid: host.metadata.uid, generation: host.metadata.generation, variant, secrets: used, configMaps: usedMaps, desired, unresolved, legacy };
    this.entries.set(key, entry);
    return entry;
  }

  delete(key: ResourceKey): void { this.entries.delete(key); }
}
