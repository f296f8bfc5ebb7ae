// Token rotation by annotation, end to end (docs/security.md "Agent tokens"): the real controller
// process in Kubernetes mode, a real agent connected with the first token. `berth.dev/rotate: <new
// value>` on the AgentToken writes a new token to the Secret, cuts the live agent (close 4003,
// "token rotated"), refuses the old token with 401, and the new token connects.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { kubectl } from '../support/kube.js';
import { agentUpgradeStatus, KubeBerth, metricsText, metricValue, type ControllerProc } from '../support/kube-berth.js';

const kb = new KubeBerth('bk-rotate');
let controller: ControllerProc;

test.before(async () => { controller = await kb.setupLeading(); });

test.after(async () => { await kb.cleanup(); });

test('berth.dev/rotate: new token in the Secret, the live agent cut with 4003, the old token refused, the new one connects', async () => {
  const host = 'rot';
  await kb.apply(kb.hostYaml(host, kb.sleeper('r')));
  const first = await kb.tokenSecret(host);
  const agent = await kb.startAgent(host, controller.url, { token: first.token });
  await kb.waitCondition(host, 'Ready', 'True');
  const ids = await kb.containers(host);

  await kubectl(['-n', kb.ns, 'annotate', 'agenttoken', host, 'berth.dev/rotate=r1'], { check: true });
  const second = await kb.tokenSecret(host, first.token);
  assert.is.not(second.token, first.token);
  const cut = await until('the live agent cut', () => agent.lines().find((l) => l.code === 4003), 20_000);
  assert.match(String(cut.reason), /token rotated/);
  await kb.waitCondition(host, 'AgentConnected', 'False');
  assert.is(await agentUpgradeStatus(controller.url, first.token), 401, 'the old token is refused');

  // The new token works: an agent started with it connects and the host is Ready again with the
  // same container (the cut agent waits out its refusal backoff; a restart picks the new token up).
  await kb.stop(agent);
  await kb.startAgent(host, controller.url, { token: second.token });
  await kb.waitCondition(host, 'Ready', 'True');
  assert.is(metricValue(await metricsText(controller.url), 'berth_hub_connected_agents'), 1);
  assert.equal(await kb.containers(host), ids, 'rotation recreated nothing');
  const events = JSON.parse(await kb.eventsJson()) as { items: Array<{ reason: string; involvedObject: { kind: string; name: string } }> };
  assert.ok(events.items.some((e) => e.reason === 'Rotated' && e.involvedObject.kind === 'AgentToken' && e.involvedObject.name === host), 'a Rotated Event');
});

test.run();
