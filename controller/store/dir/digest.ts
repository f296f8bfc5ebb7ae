// What the directory store keeps to tell "the same declaration" from "a changed one": a SHA-256 of
// the canonical JSON, not the JSON itself. Both strings it compares — a resource's `content`
// (diffing scans) and a MetaRecord's `specJson` (bumping the generation) — were whole canonical
// JSON copies of every resource, ~6 KB per host held in memory and written into state.json
// (60 MB at 10,000 hosts × 10 containers; issue 17, item 3). Equal digests ⇔ equal JSON.
//
// State files written before hold the JSON itself; load() turns each value into its digest, which
// is exactly what the current code computes for the same declaration, so an upgrade changes nothing
// (no generation bump, no "changed" log). Pure.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../lib/canonical-json.js';

export const DIGEST_PREFIX = 'sha256:';

/** The digest of a canonical JSON text. */
export function contentDigest(canonical: string): string {
  return `${DIGEST_PREFIX}${createHash('sha256').update(canonical).digest('hex')}`;
}

/** VALUE as a digest: unchanged when it already is one, hashed when it is the JSON (an older state file). */
export function asDigest(value: string): string {
  return value.startsWith(DIGEST_PREFIX) ? value : contentDigest(value);
}

/** The digest of a spec (a MetaRecord's `specJson`). */
export const specDigest = (spec: unknown): string => contentDigest(canonicalJson(spec));
