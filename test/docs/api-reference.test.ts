// docs/api-reference.md is generated from the CRDs (test/tools/api-reference.ts): it must match
// what the current crds/ produce, and mention every field the schemas define.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { STALLED_REASONS } from '../../controller/reconcile/stall-reasons.js';
import { API_REFERENCE, crdTexts, REGENERATE, renderApiReference, type Schema } from '../tools/api-reference.js';

test(`docs/api-reference.md is current with crds/ (else: ${REGENERATE})`, () => {
  let actual = '';
  try { actual = readFileSync(API_REFERENCE, 'utf8'); } catch { /* missing: same message */ }
  assert.ok(actual === renderApiReference(crdTexts()), `docs/api-reference.md is out of date with crds/ — run: ${REGENERATE}`);
});

/**
 * The fields of a schema, walked here on its own (not with the generator's flatten(), which would
 * compare the generator with itself): object properties as `a.b`, array items as `a[].b`.
 */
function fields(schema: Schema, path: string, out: Array<{ path: string; description: string }> = []): Array<{ path: string; description: string }> {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const p = `${path}.${name}`;
    out.push({ path: p, description: child.description ?? '' });
    if (child.type === 'array' && child.items) fields(child.items, `${p}[]`, out);
    else fields(child, p, out);
  }
  return out;
}

test('every spec and status field of every CRD has a row with its description', () => {
  const doc = readFileSync(API_REFERENCE, 'utf8');
  for (const text of crdTexts()) {
    const crd = parse(text) as { spec: { names: { kind: string }; versions: Array<{ schema: { openAPIV3Schema: Schema } }> } };
    const root = crd.spec.versions[0]!.schema.openAPIV3Schema;
    // Only this kind's section (both kinds have e.g. status.conditions).
    const start = doc.indexOf(`\n## ${crd.spec.names.kind}\n`);
    assert.ok(start >= 0, `a section for ${crd.spec.names.kind}`);
    const end = doc.indexOf('\n## ', start + 1);
    const lines = doc.slice(start, end < 0 ? undefined : end).split('\n');
    for (const part of ['spec', 'status']) {
      const rows = fields(root.properties![part]!, part);
      assert.ok(rows.length > 3, `${part} has fields`);
      for (const r of rows) {
        const row = lines.find((l) => l.startsWith(`| \`${r.path}\` |`));
        assert.ok(row, `row for ${r.path}`);
        // Its description: the first words, as they are (cells only escape pipes and newlines).
        const words = r.description.split(/\s+/).filter((w) => /^[\w,.()'-]+$/.test(w)).slice(0, 3);
        for (const w of words) assert.ok(row.includes(w), `the row for ${r.path} carries its description (${JSON.stringify(w)} missing): ${row}`);
      }
    }
  }
  assert.match(doc, /\| `spec\.containers\[\]\.image` \| string \| required \|/);
  assert.match(doc, /privileged containers need spec\.policy\.allowPrivileged: true/, 'CEL rule messages are listed');
});

test('every Stalled reason the controller can set is documented with what to do', () => {
  const doc = readFileSync(API_REFERENCE, 'utf8');
  for (const r of Object.values(STALLED_REASONS)) assert.ok(doc.includes(`| \`${r.reason}\` | ${r.when}`), `Stalled reason ${r.reason}`);
});

test.run();
