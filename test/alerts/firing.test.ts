// End to end, with real components only: a real `prometheus` (bed component `prometheus`) scrapes a
// real `berth controller` and evaluates the chart's own rules; the host's real agent is SIGKILLed,
// and BerthAgentDisconnected must go pending and then firing for exactly that host. A second host
// runs a container that keeps crashing on the real dockerd (BerthContainerRestartLoop fires for it),
// and its AgentToken has a 72 h ttl (BerthAgentTokenExpiringSoon fires for it).
// The chart's `for` is shortened to 5 s, the restart window to 1 m, and the evaluation and scrape
// intervals to 1 s (values, not edits of the rules), so the test takes seconds, not minutes.
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
const crashy = 'crashy';
const crasher = env.name('crash');
const ours = (a: PrometheusAlert) => a.labels.alertname === 'BerthAgentDisconnected' && a.labels.namespace === env.namespace && a.labels.name === host;

test.before(async () => {
  env.write('node.yaml', env.hostYaml(host, `containers:
- name: ${env.name('idle')}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "exec sleep 3600"]
  stopTimeoutSeconds: 1`));
  // Docker restarts it (restart policy Always) with its own growing backoff: ~6 restarts a minute.
  env.write('crashy.yaml', env.hostYaml(crashy, `containers:
- name: ${crasher}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  restartPolicy: Always
  command: ["sh", "-c", "sleep 1; exit 3"]
  stopTimeoutSeconds: 1`, false) + `---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: ${crashy}, namespace: ${env.namespace} }
spec: { hostRef: { name: ${crashy} }, ttl: 72h }
`);
  await env.startController();
  await env.startAgent(host);
  await env.startAgent(crashy);
  await env.waitReady(host, 90_000);
  const groups = await chartRuleGroups(helm, 'rel', 'default', ['prometheusRule.for.agentDisconnected=5s', 'prometheusRule.restartLoop.window=1m', 'prometheusRule.for.tokenExpiring=1s', 'prometheusRule.evaluationInterval=1s']);
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
  const expiry = await prom.query(`berth_agent_token_expiry_timestamp_seconds{namespace="${env.namespace}"}`);
  assert.equal(expiry.map((e) => e.metric.name), [crashy], 'only the token with a ttl has an expiry');
  const inHours = (Number(expiry[0]!.value[1]) - Date.now() / 1000) / 3600;
  assert.ok(inHours > 71 && inHours <= 72, `expires in its 72h ttl (${inHours.toFixed(2)} h)`);
  assert.is((await prom.alerts()).filter(ours).length, 0, 'no disconnect alert while the agent is up');
  const expiring = await until('BerthAgentTokenExpiringSoon firing', async () => (await prom.alerts()).find((a) => a.labels.alertname === 'BerthAgentTokenExpiringSoon' && a.state === 'firing'), 30_000, 250);
  assert.equal([expiring.labels.namespace, expiring.labels.name], [env.namespace, crashy], 'the 72h token is within 7 days; the token without a ttl never alerts');
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

test('a container crashing on the real dockerd: its restarts are counted and BerthContainerRestartLoop fires for it', async () => {
  const loop = await until('BerthContainerRestartLoop firing', async () => {
    const alerts = await prom.alerts();
    return alerts.find((a) => a.labels.alertname === 'BerthContainerRestartLoop' && a.state === 'firing' && a.labels.host === crashy);
  }, 120_000, 500);
  assert.is(loop.labels.namespace, env.namespace);
  assert.is(loop.labels.container, crasher);
  const restarts = await prom.query(`berth_container_restarts_total{namespace="${env.namespace}",host="${crashy}",container="${crasher}"}`);
  assert.ok(Number(restarts[0]?.value[1]) >= 3, `restarts counted: ${JSON.stringify(restarts)}`);
  const docker = await env.containers(crashy);
  assert.is(docker.length, 1, 'Docker restarts the one container; Berth does not recreate it');
  const steady = (await prom.alerts()).filter((a) => a.labels.alertname === 'BerthContainerRestartLoop' && a.labels.host === host);
  assert.is(steady.length, 0, 'the steady container does not alert');
});

test.run();
