// The silent peer (docs/reliability.md, "AgentConnected=False within the ping window"): an agent
// that stops answering without closing its socket — SIGSTOP freezes the real `berth agent` process,
// so the kernel keeps the TCP connection up and only the hub's pings can notice. The controller's
// ping interval is shortened to 500 ms through its test seam (two missed pongs end the connection:
// a 1–1.5 s window instead of 30–45 s). SIGCONT: the agent finds its socket gone and reconnects.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { KubeBerth, metricsText, metricValue, type ControllerProc } from '../support/kube-berth.js';

const PING_MS = 500;
const kb = new KubeBerth('bc-silent');
let controller: ControllerProc;

test.before(async () => { controller = await kb.setupLeading({ seams: { pingIntervalMs: PING_MS } }); });

test.after(async () => { await kb.cleanup(); });

test('SIGSTOPped agent: the hub\'s pings end the connection, AgentConnected=False, containers untouched; SIGCONT: back, nothing recreated', async () => {
  const host = 'silent';
  await kb.apply(kb.hostYaml(host, kb.sleeper('s')));
  const agent = await kb.startAgent(host, controller.url);
  await kb.waitCondition(host, 'Ready', 'True');
  const ids = await kb.containers(host);
  assert.is(metricValue(await metricsText(controller.url), 'berth_hub_connected_agents'), 1);

  agent.child.kill('SIGSTOP');
  try {
    const down = await kb.waitCondition(host, 'AgentConnected', 'False', 'Disconnected', 15_000);
    assert.ok(down.message, 'says since when');
    assert.ok(agent.child.exitCode === null && agent.child.signalCode === null, 'the agent process is alive (stopped), its socket never closed by it');
    assert.ok(controller.lines().some((l) => l.msg === 'agent missed pongs; terminating' && l.host === `${kb.ns}/${host}`), 'the ping path ended it');
    assert.is(metricValue(await metricsText(controller.url), 'berth_hub_connected_agents'), 0);
    assert.equal(await kb.containers(host), ids, 'the containers are left running');
  } finally {
    agent.child.kill('SIGCONT');
  }
  await kb.waitCondition(host, 'AgentConnected', 'True');
  await kb.waitCondition(host, 'Ready', 'True');
  await until('one agent connected', async () => metricValue(await metricsText(controller.url), 'berth_hub_connected_agents') === 1, 20_000);
  assert.equal(await kb.containers(host), ids, 'nothing recreated');
});

test.run();
