// Durations as the AgentToken's ttl spells them ("8760h", "1h30m", "90s", "1.5h"): the subset of
// Go's time.ParseDuration that the CRD's pattern admits, for the twin of its CEL duration() rule.

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
const WHOLE = /^(\d+(?:\.\d+)?(?:h|ms|m|s))+$/;
const PART = /(\d+(?:\.\d+)?)(h|ms|m|s)/g;

/** Milliseconds in `text`, or undefined when it is not such a duration. */
export function parseDurationMs(text: string): number | undefined {
  if (!WHOLE.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}
