// The chart's alert rules, judged by the real promtool (bed component `prometheus`): the rendered
// PrometheusRule is a valid rule file (`promtool check rules`), each alert fires on the input series
// of berth-rules.promtool.yaml and only there (`promtool test rules`), every alert has a case there,
// and every runbook_url points at a section of docs/operations.md.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { Helm } from '../support/helm.js';
import { repoRoot } from '../support/paths.js';
import { chartRuleGroups, promtool, writeRuleFile, type RuleGroup } from '../support/prometheus.js';

const helm = new Helm();
const dir = mkdtempSync(join(tmpdir(), 'berth-rules-'));
const CASES = join(repoRoot, 'test/alerts/berth-rules.promtool.yaml');
let groups: RuleGroup[] = [];

test.before(async () => { groups = await chartRuleGroups(helm, 'rel', 'default'); });
test.after(() => { helm.cleanup(); rmSync(dir, { recursive: true, force: true }); });

const alerts = () => groups.flatMap((g) => g.rules).filter((r) => r.alert);

test('the chart ships the six alerts of issue 16, each with a severity and a runbook', () => {
  assert.equal(alerts().map((r) => r.alert).sort(), [
    'BerthAgentDisconnected', 'BerthAgentTokenExpiringSoon', 'BerthContainerRestartLoop',
    'BerthHostNotReady', 'BerthNoLeader', 'BerthRolloutDegraded',
  ]);
  for (const r of alerts()) {
    assert.ok(['warning', 'critical'].includes(r.labels?.severity ?? ''), `${r.alert} has a severity`);
    assert.ok(r.annotations?.summary && r.annotations.description, `${r.alert} has a summary and a description`);
    assert.match(r.expr, 'job="rel-berth-metrics"', `${r.alert} selects only this release's scrape job`);
  }
});

test('promtool check rules accepts the rendered rules', async () => {
  const file = writeRuleFile(dir, groups);
  const r = await promtool(['check', 'rules', file]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, `SUCCESS: ${alerts().length} rules found`);
});

test('promtool check rules refuses a rule the chart could break (the check can fail)', async () => {
  const broken = structuredClone(groups);
  broken[0]!.rules[0]!.expr = 'max by (namespace (berth_host_agent_connected';
  const r = await promtool(['check', 'rules', writeRuleFile(dir, broken, 'broken.yaml')]);
  assert.is.not(r.code, 0, r.stdout);
});

test('promtool test rules: every alert fires on its input series at its threshold, once, and not before', async () => {
  writeRuleFile(dir, groups);
  copyFileSync(CASES, join(dir, 'cases.yaml'));
  const r = await promtool(['test', 'rules', join(dir, 'cases.yaml')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, 'SUCCESS');
});

test('every alert has a promtool case that expects it to fire', () => {
  const cases = parse(readFileSync(CASES, 'utf8')) as { tests: Array<{ alert_rule_test: Array<{ alertname: string; exp_alerts: unknown[] }> }> };
  const firing = new Set(cases.tests.flatMap((t) => t.alert_rule_test).filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname));
  for (const r of alerts()) assert.ok(firing.has(r.alert!), `${r.alert} has a case with input series that make it fire`);
});

test('every runbook_url names a section of docs/operations.md', () => {
  const doc = readFileSync(join(repoRoot, 'docs/operations.md'), 'utf8');
  // GitHub's anchor for a heading: lower case, spaces to dashes, punctuation dropped.
  const anchors = new Set([...doc.matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^a-z0-9 -]/g, '').replace(/ /g, '-')));
  for (const r of alerts()) {
    const url = r.annotations?.runbook_url ?? '';
    assert.match(url, /docs\/operations\.md#/, `${r.alert} links to docs/operations.md`);
    const anchor = url.split('#')[1]!;
    assert.ok(anchors.has(anchor), `${r.alert}: docs/operations.md has a section #${anchor}`);
  }
});

test('for durations and thresholds come from values (the end-to-end test shortens them)', async () => {
  const short = await chartRuleGroups(helm, 'rel', 'default', ['prometheusRule.for.agentDisconnected=5s', 'prometheusRule.evaluationInterval=1s']);
  assert.is(short[0]!.interval, '1s');
  assert.is(short[0]!.rules.find((r) => r.alert === 'BerthAgentDisconnected')?.for, '5s');
});

test('alertLabels reach every alert, beside its severity, and the result is still a valid rule file', async () => {
  const labelled = await chartRuleGroups(helm, 'rel', 'default', ['prometheusRule.alertLabels.team=platform']);
  for (const r of labelled.flatMap((g) => g.rules)) {
    assert.is(r.labels?.team, 'platform', `${r.alert} carries team`);
    assert.ok(r.labels?.severity, `${r.alert} keeps its severity`);
  }
  const r = await promtool(['check', 'rules', writeRuleFile(dir, labelled, 'labelled.yaml')]);
  assert.is(r.code, 0, r.stdout + r.stderr);
});

test.run();
