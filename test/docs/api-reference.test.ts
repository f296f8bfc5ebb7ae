// docs/api-reference.md is generated from the CRDs (test/tools/api-reference.ts): it must match
// what the current crds/ produce, and mention every field the schemas define.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { STALLED_REASONS } from '../../controller/reconcile/stall-reasons.js';
import { API_REFERENCE, crdTexts, flatten, REGENERATE, renderApiReference, type Schema } from '../tools/api-reference.js';

test(`docs/api-reference.md is current with crds/ (else: ${REGENERATE})`, () => {
  let actual = '';
  try { actual = readFileSync(API_REFERENCE, 'utf8'); } catch { /* missing: same message */ }
  assert.ok(actual === renderApiReference(crdTexts()), `docs/api-reference.md is out of date with crds/ — run: ${REGENERATE}`);
});

test('every spec and status field of every CRD has a row with its description', () => {
  const doc = readFileSync(API_REFERENCE, 'utf8');
  for (const text of crdTexts()) {
    const root = (parse(text) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Schema } }> } }).spec.versions[0]!.schema.openAPIV3Schema;
    for (const part of ['spec', 'status']) {
      const rows = flatten(root.properties![part]!, part);
      assert.ok(rows.length > 3, `${part} has fields`);
      for (const r of rows) assert.ok(doc.includes(`| \`${r.path}\` |`), `row for ${r.path}`);
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
