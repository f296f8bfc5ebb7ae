// The observed inventory is the agent's word, so it is bounded by what the controller declared: every
// container a host declares, plus at most OBSERVED_MARGIN others (orphans the reconciler removes:
// containers taken out of the spec, or left by a renamed host). An agent reporting thousands of
// phantom containers can no longer grow the host view, the status or the number of `remove`s the
// reconciler dispatches at once; a legitimate backlog of more orphans is worked off margin by margin,
// as each removal makes room in the next report. Pure.
import type { ObservedContainer } from '../../protocol/container.js';

/** Containers kept beyond the declared ones (documented in docs/security.md). */
export const OBSERVED_MARGIN = 64;

export interface CappedObserved { containers: ObservedContainer[]; dropped: number }

/**
 * REPORTED capped to the DECLARED names plus MARGIN others: declared ones first (each name once), then
 * the undeclared ones in name order (deterministic, so the same phantoms are kept from one report to
 * the next and the rest wait).
 */
export function capObserved(reported: readonly ObservedContainer[], declared: ReadonlySet<string>, margin = OBSERVED_MARGIN): CappedObserved {
  const seen = new Set<string>();
  const mine: ObservedContainer[] = [];
  const others: ObservedContainer[] = [];
  for (const c of reported) {
    if (seen.has(c.name)) continue;   // a name twice is one container; the first report wins
    seen.add(c.name);
    (declared.has(c.name) ? mine : others).push(c);
  }
  others.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kept = others.slice(0, margin);
  return { containers: [...mine, ...kept], dropped: others.length - kept.length + (reported.length - seen.size) };
}
