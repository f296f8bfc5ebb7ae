// The page's picture of the cluster: a snapshot from the page feed, then changes applied to it.
// Immutable updates (a new object per change) so Lit's property change detection sees them.
import type { HostView, PageChanges, PageSnapshot, SetView, SourceProblem, TokenView } from '../../../protocol/api-views.js';

/** "<namespace>/<name>", as the page feed names deleted resources. */
export const keyOf = (m: { namespace: string; name: string }): string => `${m.namespace}/${m.name}`;

export interface Model {
  user?: string;
  hosts: ReadonlyMap<string, HostView>;
  /** null: this viewer may not see tokens (tokensMessage says why). */
  tokens: ReadonlyMap<string, TokenView> | null;
  tokensMessage?: string;
  /** ContainerSets (empty from a controller older than issue 13). */
  sets: ReadonlyMap<string, SetView>;
  problems: readonly SourceProblem[];
}

export const emptyModel: Model = { hosts: new Map(), tokens: new Map(), sets: new Map(), problems: [] };

const byKey = <T extends { metadata: { namespace: string; name: string } }>(items: readonly T[]) =>
  new Map(items.map((i) => [keyOf(i.metadata), i] as const));

export function fromSnapshot(s: PageSnapshot): Model {
  return {
    ...(s.user ? { user: s.user } : {}),
    hosts: byKey(s.hosts),
    tokens: s.tokens ? byKey(s.tokens) : null,
    ...(s.tokensMessage ? { tokensMessage: s.tokensMessage } : {}),
    sets: byKey(s.sets ?? []),
    problems: s.problems,
  };
}

export function applyChanges(m: Model, c: PageChanges): Model {
  let hosts = m.hosts;
  if (c.hosts?.length || c.deletedHosts?.length) {
    const next = new Map(hosts);
    for (const h of c.hosts ?? []) next.set(keyOf(h.metadata), h);
    for (const k of c.deletedHosts ?? []) next.delete(k);
    hosts = next;
  }
  let tokens = m.tokens;
  if (c.tokens?.length || c.deletedTokens?.length) {
    const next = new Map(tokens ?? []);
    for (const t of c.tokens ?? []) next.set(keyOf(t.metadata), t);
    for (const k of c.deletedTokens ?? []) next.delete(k);
    tokens = next;
  }
  let sets = m.sets;
  if (c.sets?.length || c.deletedSets?.length) {
    const next = new Map(sets);
    for (const x of c.sets ?? []) next.set(keyOf(x.metadata), x);
    for (const k of c.deletedSets ?? []) next.delete(k);
    sets = next;
  }
  return { ...m, hosts, tokens, sets, problems: c.problems ?? m.problems };
}

/** Hosts sorted by namespace, then name. */
export function sortedHosts(m: Model): HostView[] {
  return [...m.hosts.values()].sort((a, b) => keyOf(a.metadata).localeCompare(keyOf(b.metadata)));
}

/** Sets sorted by namespace, then name. */
export function sortedSets(m: Model): SetView[] {
  return [...m.sets.values()].sort((a, b) => keyOf(a.metadata).localeCompare(keyOf(b.metadata)));
}
