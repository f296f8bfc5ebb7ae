// The controller around the Lease elector, end to end (docs/kubernetes.md "Replicas"): real
// `berth controller --kube` processes with the default timings (15 s lease, 10 s renew deadline, 2 s
// retry), the bed's real apiserver, real agents and dockerd. Each test has its own host and agent
// and works with whichever replica leads when it starts, so the tests do not depend on their order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { kubectl } from '../support/kube.js';
import { agentUpgradeStatus, KubeBerth, metricsText, metricValue, readyz, type ControllerProc, type Proc } from '../support/kube-berth.js';
import { ReadyProxy } from '../support/ready-proxy.js';

const kb = new KubeBerth('bk-failover');
const controllers: ControllerProc[] = [];
const LEASE = 'berth-controller';

const lease = async () => (JSON.parse((await kubectl(['-n', kb.ns, 'get', 'lease', LEASE, '-o', 'json'], { check: true })).stdout) as { spec: { holderIdentity?: string; leaseTransitions?: number } }).spec;
const running = (c: Proc) => c.child.exitCode === null && c.child.signalCode === null;
const microNow = () => new Date().toISOString().replace(/Z$/, '000Z');
/** The replica that leads now (its /readyz answers 200). */
async function leader(): Promise<ControllerProc> {
  return until('a leading replica', async () => {
    for (const c of controllers.filter(running)) if ((await readyz(c.url)) === 200) return c;
    return undefined;
  }, 40_000, 200);
}
async function addController(extra: { agentUrl?: string } = {}): Promise<ControllerProc> {
  const c = await kb.startController(extra);
  controllers.push(c);
  return c;
}
/** Agent log lines that report a close or refusal (the agent's own close verdicts). */
const closes = (a: Proc) => a.lines().filter((l) => typeof l.code === 'number' || typeof l.httpStatus === 'number');

test.before(async () => {
  await kb.setup();
  await kb.waitLeader(await addController());
});

test.after(async () => { await kb.cleanup(); });

test('losing the Lease: the leader closes its agents with 1012, refuses them with 503 as a standby, and leads again once the Lease is free', async () => {
  const host = 'lose';
  await kb.apply(kb.hostYaml(host, kb.sleeper('lose')));
  const c = await leader();
  const agent = await kb.startAgent(host, c.url);
  try {
    await kb.waitCondition(host, 'Ready', 'True');
    const ids = await kb.containers(host);
    assert.is(ids.size, 1);
    assert.is(metricValue(await metricsText(c.url), 'berth_leader'), 1, 'berth_leader 1 while leading');
    // Someone else takes the Lease (what a peer does once our renewals stopped reaching the
    // apiserver): the leader sees it on its next renewal and must step down.
    const taken = JSON.stringify({ spec: { holderIdentity: 'intruder', leaseDurationSeconds: 3600, renewTime: microNow(), acquireTime: microNow() } });
    await kubectl(['-n', kb.ns, 'patch', 'lease', LEASE, '--type=merge', '-p', taken], { check: true });
    const closed = await until('the agent closed with 1012', () => closes(agent).find((l) => l.code === 1012), 20_000);
    assert.match(String(closed.reason), /no longer the leader/);
    assert.is(await readyz(c.url), 503, 'a standby is not ready');
    assert.is(metricValue(await metricsText(c.url), 'berth_leader'), 0, 'berth_leader 0 on a standby');
    const { token } = await kb.tokenSecret(host);
    assert.is(await agentUpgradeStatus(c.url, token), 503, 'a standby refuses agent upgrades with 503');
    await until('the agent itself refused with 503', () => closes(agent).some((l) => l.httpStatus === 503), 20_000);
    assert.match(c.output(), /lost the leadership: standing by/);
    // The intruder lets go: the replica campaigns again, leads, and its agent comes back.
    await kubectl(['-n', kb.ns, 'patch', 'lease', LEASE, '--type=merge', '-p', '{"spec":{"holderIdentity":null}}'], { check: true });
    await kb.waitLeader(c, 20_000);
    assert.is(metricValue(await metricsText(c.url), 'berth_leader'), 1, 'berth_leader 1 again once leading');
    await until('the agent reconnected', async () => metricValue(await metricsText(c.url), 'berth_hub_connected_agents') === 1, 60_000);
    await kb.waitCondition(host, 'Ready', 'True');
    assert.equal(await kb.containers(host), ids, 'the same container, not recreated');
  } finally {
    await kb.stop(agent);
    // Never leave the Lease to the intruder for the next test, even when this one failed.
    if ((await lease()).holderIdentity === 'intruder') await kubectl(['-n', kb.ns, 'patch', 'lease', LEASE, '--type=merge', '-p', '{"spec":{"holderIdentity":null}}']);
  }
});

test('SIGTERM releases the Lease: the standby takes it as released (not expired), the agent moves to it, nothing recreated', async () => {
  const host = 'term';
  const a = await leader();
  const proxy = new ReadyProxy();
  const proxyUrl = await proxy.start();
  const b = await addController();
  proxy.backends = [a.url, b.url];
  await kb.apply(kb.hostYaml(host, kb.sleeper('term')));
  const agent = await kb.startAgent(host, proxyUrl);
  try {
    await kb.waitCondition(host, 'Ready', 'True');
    assert.is(await readyz(b.url), 503, 'b stands by');
    await until('b has seen a hold the Lease', () => b.lines().some((l) => l.msg === 'lease holder observed'), 20_000);
    const ids = await kb.containers(host);
    const before = await lease();
    await kb.stop(a, 'SIGTERM');
    assert.is(a.child.exitCode, 0, a.output().slice(-2000));
    // In a's own log: its agent session ended (1001, shutting down) before the Lease went, so the
    // two leaders never overlap.
    const aLines = a.lines();
    const released = aLines.findIndex((l) => l.msg === 'lease released');
    const ended = aLines.findIndex((l) => l.msg === 'agent session ended' && l.host === `${kb.ns}/${host}`);
    assert.ok(released >= 0, 'a released the Lease on its way out');
    assert.ok(ended >= 0 && ended < released, `the agent session ended (line ${ended}) before the Lease was released (line ${released})`);
    assert.is(aLines[ended]!.code, 1001);
    const acquired = await until('b acquires the Lease', () => b.lines().find((l) => l.msg === 'lease acquired'), 20_000);
    // "expired" would mean b waited out the 15 s lease; "released" means it took the freed Lease.
    assert.is(acquired.reason, 'released');
    const after = await lease();
    assert.is.not(after.holderIdentity, before.holderIdentity);
    assert.is(after.leaseTransitions, (before.leaseTransitions ?? 0) + 1);
    await until('the agent reconnected to b', async () => metricValue(await metricsText(b.url), 'berth_hub_connected_agents') === 1, 60_000);
    await kb.waitCondition(host, 'Ready', 'True');
    assert.equal(await kb.containers(host), ids, 'the same container, none duplicated or recreated');
  } finally {
    await kb.stop(agent);
    await proxy.stop();
  }
});

test.run();
