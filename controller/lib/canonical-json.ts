/**
 * JSON with object keys sorted at every level, so equal values always serialize (and hash) alike.
 * Spec hashes are made from it, so its output must never change (a different string for the same
 * spec would recreate every container after an upgrade); canonical-json.test.ts pins it against the
 * original one-liner. Written as loops because it runs for every container on every reconcile.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += canonicalJson(value[i]) ?? '';   // as Array.prototype.join renders undefined
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = record[k];
    if (v === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}
