// Option handling the operator verbs share: the connection, the namespace scope, the output format.
import { UsageError } from '../usage.js';

export type Output = 'table' | 'wide' | 'json' | 'yaml';

export function parseOutput(value: string | undefined): Output {
  if (value === undefined) return 'table';
  if (value === 'wide' || value === 'json' || value === 'yaml') return value;
  throw new UsageError(`-o must be wide, json or yaml, not "${value}"`);
}

/** NAMESPACE/NAME → its parts (both DNS names), or a usage error naming WHAT. */
export function splitRef(ref: string | undefined, what: string): { namespace: string; name: string } {
  const m = ref ? /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(ref) : null;
  if (!m) throw new UsageError(`${what} must be NAMESPACE/NAME${ref ? `, not "${ref}"` : ''}`);
  return { namespace: m[1]!, name: m[3]! };
}
