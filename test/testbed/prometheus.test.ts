// Smoke test of the bed's Prometheus tools (test/env/prometheus.sh): the pinned release, and a
// promtool that tells a good rule file from a bad one.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../support/kube.js';
import { prometheusTool, promtool } from '../support/prometheus.js';

const tmp = mkdtempSync(join(tmpdir(), 'berth-prom-bed-'));
test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('prometheus is the pinned 3.16.0 build', async () => {
  const r = await run(prometheusTool('BERTH_TEST_PROMETHEUS'), ['--version'], { check: true });
  assert.match(r.stdout + r.stderr, /prometheus, version 3\.16\.0/);
});

test('promtool check rules accepts a valid rule and refuses an invalid expression', async () => {
  writeFileSync(join(tmp, 'ok.yaml'), 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\n');
  writeFileSync(join(tmp, 'bad.yaml'), 'groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n');
  assert.is((await promtool(['check', 'rules', join(tmp, 'ok.yaml')])).code, 0);
  const bad = await promtool(['check', 'rules', join(tmp, 'bad.yaml')]);
  assert.is.not(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /bad\.yaml/);
});

test.run();
