// End to end, with real components only: a real `prometheus` (bed component `prometheus`) scrapes a
// real `berth controller` and evaluates the chart's own rules; the host's real agent is SIGKILLed,
// and BerthAgentDisconnected must go pending and then firing for exactly that host. The chart's
// `for` is shortened to 5 s and the evaluation and scrape intervals to 1 s (values, not edits of the
// rules), so the test takes seconds, not the 5 minutes a user waits.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { Helm } from '../support/helm.js';
import { bed } from '../support/testbed.js';
import { chartRuleGroups, PrometheusServer, writeRuleFile, type PrometheusAlert } from '../support/prometheus.js';

const env = new BerthEnv();
const helm = new Helm();
const prom = new PrometheusServer();
const host = 'node';
const ours = (a: PrometheusAlert) => a.labels.alertname === 'BerthAgentDisconnected' && a.labels.namespace === env.namespace && a.labels.name === host;

test.before(async () => {
  env.write('node.yaml', env.hostYaml(host, `containers:
- name: ${env.name('idle')}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "exec sleep 3600"]
  stopTimeoutSeconds: 1`));
  await env.startController();
  await env.startAgent(host);
  await env.waitReady(host, 90_000);
  const groups = await chartRuleGroups(helm, 'rel', 'default', ['prometheusRule.for.agentDisconnected=5s', 'prometheusRule.evaluationInterval=1s']);
  writeRuleFile(prom.dir, groups);
  // The scrape job is named as the chart's ServiceMonitor names it (the rules select on it), and
  // honors the controller's labels as the ServiceMonitor does.
  await prom.start(`global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [rules.yaml]
scrape_configs:
  - job_name: rel-berth-metrics
    honor_labels: true
    static_configs: [{ targets: ["${env.url.replace(/^http:\/\//, '')}"] }]
`);
});

test.after(async () => { await prom.stop(); helm.cleanup(); await env.cleanup(); });

test('prometheus scrapes the controller: the host is connected, one leader, no alert', async () => {
  const connected = await until('berth_host_agent_connected == 1 in prometheus', async () => {
    const r = await prom.query(`berth_host_agent_connected{namespace="${env.namespace}",name="${host}"}`);
    return r[0]?.value[1] === '1' ? r[0] : undefined;
  }, 60_000, 500);
  assert.is(connected.metric.job, 'rel-berth-metrics', 'the series carries the job the rules select');
  const leader = await prom.query('berth_leader{job="rel-berth-metrics"}');
  assert.is(leader[0]?.value[1], '1', 'directory mode: the one controller leads');
  const info = await prom.query('berth_build_info');
  assert.ok(info[0]?.metric.version, 'berth_build_info names the version');
  assert.is((await prom.alerts()).filter(ours).length, 0, 'no disconnect alert while the agent is up');
  const rules = await prom.api<{ groups: Array<{ rules: Array<{ name: string; health: string }> }> }>('rules');
  const loaded = rules.groups.flatMap((g) => g.rules);
  assert.ok(loaded.length >= 6 && loaded.every((r) => r.health !== 'err'), `the chart's rules load and evaluate: ${JSON.stringify(loaded.map((r) => [r.name, r.health]))}`);
});

test('the agent is killed: BerthAgentDisconnected goes pending, then fires for that host', async () => {
  const killedAt = Date.now();
  await env.kill(env.agents.get(host), 'SIGKILL');
  await env.waitHost(host, 'AgentConnected=False', (h) => condition(h, 'AgentConnected')?.status === 'False', 30_000);
  const seen = new Set<string>();
  const firing = await until('BerthAgentDisconnected firing', async () => {
    const mine = (await prom.alerts()).filter(ours);
    for (const a of mine) seen.add(a.state);
    return mine.find((a) => a.state === 'firing');
  }, 90_000, 250);
  assert.ok(seen.has('pending'), `pending before firing (the 5 s "for"); states seen: ${[...seen].join(', ')}`);
  assert.is(firing.labels.severity, 'warning');
  assert.match(firing.annotations.summary ?? '', `${env.namespace}/${host} is not connected`);
  assert.match(firing.annotations.runbook_url ?? '', 'docs/operations.md#berthagentdisconnected');
  assert.ok(Date.parse(firing.activeAt!) >= killedAt - 1000, 'active since the kill, not before');
  const noLeader = (await prom.alerts()).filter((a) => a.labels.alertname === 'BerthNoLeader');
  assert.is(noLeader.length, 0, 'the controller still leads: no BerthNoLeader');
});

test.run();
