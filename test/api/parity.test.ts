// Parity: the real kube-apiserver (`kubectl apply --dry-run=server`, strict field validation) and
// `berth validate` must accept and reject the same manifests — and both must agree with the table.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PARITY_CASES } from '../parity/cases.js';
import { berth, installCrds } from '../support/berth.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../support/kube.js';

let ns = '';
const dir = mkdtempSync(join(tmpdir(), 'berth-parity-'));
let berthVerdicts = new Map<string, { valid: boolean; issues: string[] }>();

test.before(async () => {
  await installCrds();
  ns = await createTestNamespace('berth-t-parity');
  // berth validate reads every case in one run, as a user validating a repository would.
  PARITY_CASES.forEach((c, i) => writeFileSync(join(dir, `case-${String(i).padStart(2, '0')}.yaml`), `${JSON.stringify(c.doc, null, 2)}\n`));
  const result = await berth(['validate', '-o', 'json', dir]);
  const reports = JSON.parse(result.stdout) as Array<{ file: string; status: string; issues: Array<{ path: string; message: string }> }>;
  berthVerdicts = new Map(reports.map((r) => [r.file.replace(/^.*case-(\d+)\.yaml$/, '$1'), { valid: r.status === 'valid', issues: r.issues.map((i) => `${i.path}: ${i.message}`) }]));
  assert.is(result.code, 1, 'berth validate exits 1 when the directory holds invalid manifests');
});
test.after(async () => { rmSync(dir, { recursive: true, force: true }); if (ns) await deleteTestNamespace(ns); });

test('the table has at least 25 cases, valid and invalid', () => {
  assert.ok(PARITY_CASES.length >= 25);
  assert.ok(PARITY_CASES.filter((c) => c.valid).length >= 8);
  assert.ok(PARITY_CASES.filter((c) => !c.valid).length >= 17);
});

PARITY_CASES.forEach((c, i) => {
  test(`apiserver and berth validate agree: ${c.name}${c.breaks ? ` (breaks ${c.breaks})` : ''}`, async () => {
    const server = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-n', ns, '-f', '-'], { input: JSON.stringify(c.doc) });
    const serverValid = server.code === 0;
    const ours = berthVerdicts.get(String(i).padStart(2, '0'));
    assert.ok(ours, `berth validate reported on case ${i}`);
    const detail = `\n  apiserver: ${serverValid ? 'accepted' : server.stderr.trim()}\n  berth: ${ours!.valid ? 'accepted' : ours!.issues.join('; ')}`;
    if (c.berthOnly) {
      // CEL cannot express this rule: the apiserver accepts, berth validate (and the controller) refuse.
      assert.ok(serverValid, `the apiserver accepts "${c.name}" (no CEL rule for it)${detail}`);
      assert.not.ok(ours!.valid, `berth validate refuses "${c.name}"${detail}`);
      return;
    }
    assert.is(ours!.valid, serverValid, `disagreement on "${c.name}"${detail}`);
    assert.is(serverValid, c.valid, `both judged "${c.name}" against the table${detail}`);
  });
});

test.run();
