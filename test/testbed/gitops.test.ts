// Smoke tests of the bed's GitOps judges (test/env/gitops.sh): each is the real library behind a
// tiny main, and behaves as the tool that embeds it does — kstatus' rules, Argo CD's Lua setup (no
// string library, a health code checked), Flux's CEL order and its Unknown on a missing field.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitopsTools } from '../support/gitops.js';
import { run } from '../support/kube.js';

const tmp = mkdtempSync(join(tmpdir(), 'berth-gitops-bed-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

const obj = (status?: unknown, generation = 1) => JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Thing', metadata: { name: 't', namespace: 'n', generation }, ...(status ? { status } : {}) });
const cond = (type: string, status: string) => ({ type, status, reason: `${type}${status}`, message: `${type} is ${status}` });
const script = (name: string, text: string) => { const f = join(tmp, name); writeFileSync(f, text); return f; };

async function verdict(bin: string, args: string[], input: string): Promise<{ status: string; message?: string }> {
  const r = await run(bin, args, { input, timeoutMs: 10_000 });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { status: string; message?: string };
}

test('kstatus: the generic rules — stale generation, Reconciling, Stalled, Ready, no status', async () => {
  const { kstatus } = await gitopsTools();
  assert.is((await verdict(kstatus, [], obj({ observedGeneration: 1 }, 2))).status, 'InProgress');
  assert.is((await verdict(kstatus, [], obj({ observedGeneration: 1, conditions: [cond('Reconciling', 'True')] }))).status, 'InProgress');
  const failed = await verdict(kstatus, [], obj({ observedGeneration: 1, conditions: [cond('Stalled', 'True')] }));
  assert.equal(failed, { status: 'Failed', message: 'Stalled is True' });
  assert.is((await verdict(kstatus, [], obj({ observedGeneration: 1, conditions: [cond('Ready', 'False')] }))).status, 'InProgress');
  assert.is((await verdict(kstatus, [], obj({ observedGeneration: 1, conditions: [cond('Ready', 'True')] }))).status, 'Current');
  assert.is((await verdict(kstatus, [], obj())).status, 'Current', 'no status at all is Current: why the CRDs default observedGeneration to 0');
});

test('lua: obj is the object, only base/table are open, the health code is checked', async () => {
  const { lua } = await gitopsTools();
  const ok = script('ok.lua', 'local hs = {}\nhs.status = obj.metadata.generation == 1 and "Healthy" or "Degraded"\nhs.message = obj.metadata.name .. table.concat({"-", "x"})\nreturn hs\n');
  assert.equal(await verdict(lua, [ok], obj()), { status: 'Healthy', message: 't-x' });
  const str = script('string.lua', 'return { status = string.format("%s", "Healthy") }\n');
  const noString = await run(lua, [str], { input: obj(), timeoutMs: 10_000 });
  assert.is(noString.code, 1, 'the string library is closed, as in Argo CD for argocd-cm scripts');
  const bad = script('bad.lua', 'return { status = "Fine" }\n');
  const invalid = await run(lua, [bad], { input: obj(), timeoutMs: 10_000 });
  assert.is(invalid.code, 1);
  assert.match(invalid.stderr, /invalid health status/);
  const loop = script('loop.lua', 'while true do end\n');
  const cut = await run(lua, [loop], { input: obj(), timeoutMs: 20_000 });
  assert.is(cut.code, 1, 'a script that never returns is cut off');
});

test('cel: Flux order (inProgress, failed, current), stale generation first, a missing field is Unknown', async () => {
  const { cel } = await gitopsTools();
  const has = (t: string) => `status.conditions.exists(c, c.type == '${t}' && c.status == 'True')`;
  const args = ['-inProgress', has('Reconciling'), '-failed', has('Stalled'), '-current', has('Ready')];
  const both = obj({ observedGeneration: 1, conditions: [cond('Reconciling', 'True'), cond('Stalled', 'True')] });
  assert.is((await verdict(cel, args, both)).status, 'InProgress', 'inProgress is evaluated first');
  assert.is((await verdict(cel, args, obj({ observedGeneration: 1, conditions: [cond('Stalled', 'True')] }))).status, 'Failed');
  assert.is((await verdict(cel, args, obj({ observedGeneration: 1, conditions: [cond('Ready', 'True')] }))).status, 'Current');
  assert.is((await verdict(cel, args, obj({ observedGeneration: 1, conditions: [cond('Ready', 'False')] }))).status, 'InProgress', 'none true');
  assert.is((await verdict(cel, args, obj({ observedGeneration: 0, conditions: [cond('Ready', 'True')] }))).status, 'InProgress', 'stale generation wins');
  const missing = await verdict(cel, args, obj({ observedGeneration: 1 }));
  assert.is(missing.status, 'Unknown');
  assert.match(missing.message ?? '', /no such key|no such attribute/);
  const optional = ['-current', "status.?conditions.orValue([]).exists(c, c.type == 'Ready' && c.status == 'True')"];
  assert.is((await verdict(cel, optional, obj({ observedGeneration: 1 }))).status, 'InProgress', 'optional field access evaluates');
});

test.run();
