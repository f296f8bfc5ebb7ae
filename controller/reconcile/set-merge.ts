// What a host runs because of ContainerSets: its own containers plus, for every set in its
// namespace whose selector picks it and whose rollout has given it a revision (status.hostStatuses),
// that revision's containers — each labelled with the set and revision. A set container whose name
// the host (or an earlier set, by namespace/name order) already uses is not applied: both sides
// report it. Pure: sets and hosts come in, nothing is read or written.
import { createHash } from 'node:crypto';
import { LABELS } from '../../protocol/container.js';
import { keyOf, type ContainerDecl, type ContainerHost, type ContainerSet, type LabelSelector, type ResourceKey, type SetHostStatus } from '../api/types.js';
import { canonicalJson } from '../lib/canonical-json.js';

/** metav1.LabelSelector semantics: every matchLabels pair and every expression must hold. */
export function selects(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const inValues = has && (e.values ?? []).includes(l[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** A template's revision: a short hash of its canonical JSON (pinned image digests included). */
export function revisionOf(template: { containers: readonly ContainerDecl[] }): string {
  return createHash('sha256').update(canonicalJson(template)).digest('hex').slice(0, 10);
}

/** A set's container as it runs on a host: labelled with the set and the revision. */
export function setContainer(decl: ContainerDecl, setKey: ResourceKey, revision: string): ContainerDecl {
  return { ...decl, labels: { ...(decl.labels ?? {}), [LABELS.set]: setKey, [LABELS.setRevision]: revision } };
}

/** Whether SET picks HOST now (same namespace, neither being deleted, labels match). */
export function setSelectsHost(set: ContainerSet, host: ContainerHost): boolean {
  return set.metadata.namespace === host.metadata.namespace && !set.metadata.deletionTimestamp
    && !host.metadata.deletionTimestamp && selects(set.spec.hostSelector, host.metadata.labels);
}

const byHost = new WeakMap<object, Map<string, SetHostStatus>>();
/** The host's entry in a set's status (indexed once per status object: sets can list 1,000s of hosts). */
export function hostEntry(set: ContainerSet, host: string): SetHostStatus | undefined {
  const list = set.status?.hostStatuses;
  if (!list) return undefined;
  let index = byHost.get(list);
  if (!index) { index = new Map(list.map((h) => [h.host, h])); byHost.set(list, index); }
  return index.get(host);
}

export interface MergedHost {
  /** The host with its set containers added (same metadata; the spec's containers extended). */
  host: ContainerHost;
  /** Which set revisions it carries ("ns/set@rev,…"): part of the resolution cache's key. */
  fingerprint: string;
  /** Set containers not applied here, with why. */
  collisions: Array<{ set: ResourceKey; container: string; takenBy: string }>;
}

/** HOST plus the containers of every set that picks it and gave it a revision. */
export function mergeSetContainers(host: ContainerHost, sets: readonly ContainerSet[]): MergedHost {
  const containers = [...(host.spec.containers ?? [])];
  const owner = new Map(containers.map((c) => [c.name, 'the host itself']));
  const collisions: MergedHost['collisions'] = [];
  const carried: string[] = [];
  for (const set of [...sets].sort((a, b) => (keyOf(a.metadata) < keyOf(b.metadata) ? -1 : 1))) {
    if (!setSelectsHost(set, host)) continue;
    const entry = hostEntry(set, host.metadata.name);
    const template = entry && set.status?.revisions?.find((r) => r.name === entry.revision)?.template;
    if (!entry || !template) continue;
    const setKey = keyOf(set.metadata);
    carried.push(`${setKey}@${entry.revision}`);
    for (const decl of template.containers) {
      const taken = owner.get(decl.name);
      if (taken) { collisions.push({ set: setKey, container: decl.name, takenBy: taken }); continue; }
      owner.set(decl.name, `ContainerSet ${setKey}`);
      containers.push(setContainer(decl, setKey, entry.revision));
    }
  }
  if (!carried.length) return { host, fingerprint: '', collisions };
  return { host: { ...host, spec: { ...host.spec, containers } }, fingerprint: carried.join(','), collisions };
}

/**
 * Every container name HOST runs, its own and its sets': what the log socket, exec and the
 * inventory cap count as declared (a set's container is the host's like any other). Undefined: no such host.
 */
export function declaredNames(host: ContainerHost | undefined, sets: readonly ContainerSet[]): string[] | undefined {
  if (!host) return undefined;
  return (mergeSetContainers(host, sets).host.spec.containers ?? []).map((c) => c.name);
}

/** The names of SET's template that another owner holds on HOST (for the set's hostStatuses). */
export function collisionsOf(set: ContainerSet, host: ContainerHost, sets: readonly ContainerSet[]): string[] {
  const key = keyOf(set.metadata);
  return mergeSetContainers(host, sets).collisions.filter((c) => c.set === key).map((c) => c.container);
}
