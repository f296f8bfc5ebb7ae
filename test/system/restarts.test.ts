// Agents and controllers come and go: a killed agent is reported within the ping window and its
// containers are left alone; a restarted controller and agent converge without duplicates; an
// agent without Docker says so in status.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const host = 'box';
const names = [env.name('one'), env.name('two')];
const spec = (list: string[]) => `containers:\n${list.map((n) => `- name: ${n}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "while true; do sleep 1; done"]
  stopTimeoutSeconds: 1`).join('\n')}`;

test.before(async () => {
  env.write('box.yaml', env.hostYaml(host, spec(names)));
  await env.startController();
  await env.startAgent(host);
  await env.waitReady(host);
});
test.after(async () => { await env.cleanup(); });

test('a killed agent shows AgentConnected False within 35 s; its containers keep running', async () => {
  const ids = (await env.containers(host)).map((c) => c.id).sort();
  const killedAt = Date.now();
  await env.kill(env.agents.get(host));
  const h = await env.waitHost(host, 'AgentConnected False', (x) => (condition(x, 'AgentConnected')?.status === 'False' ? x : undefined), 35_000);
  assert.ok(Date.now() - killedAt < 35_000);
  assert.is(condition(h, 'Ready')?.status, 'False', 'nothing claims to be ready without an agent');
  const after = await env.containers(host);
  assert.equal(after.map((c) => c.id).sort(), ids);
  assert.ok(after.every((c) => c.state === 'running'));
});

test('controller and agent restarted (with a change made meanwhile) converge with no duplicates', async () => {
  await env.kill(env.controller);
  const three = env.name('three');
  env.write('box.yaml', env.hostYaml(host, spec([...names, three])));
  await env.startController();
  await env.startAgent(host);
  const h = await env.waitReady(host);
  assert.is(h.status.ready, '3/3');
  const all = await env.containers(host);
  assert.equal(all.map((c) => c.name).sort(), [...names, three].sort(), 'exactly one container per name');
  // Restart both again with nothing changed: nothing is recreated.
  const ids = all.map((c) => c.id).sort();
  await env.kill(env.agents.get(host));
  await env.kill(env.controller);
  await env.startController();
  await env.startAgent(host);
  await env.waitReady(host);
  assert.equal((await env.containers(host)).map((c) => c.id).sort(), ids);
});

test('an agent without Docker reports "Docker unavailable" and nothing is dispatched', async () => {
  const lonely = 'nodocker';
  env.write('nodocker.yaml', env.hostYaml(lonely, spec([env.name('never')])));
  await env.startAgent(lonely, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  const h = await env.waitHost(lonely, 'Docker unavailable', (x) => (condition(x, 'Synced')?.reason === 'DockerUnavailable' ? x : undefined));
  assert.is(condition(h, 'AgentConnected')?.status, 'True');
  assert.match(condition(h, 'Synced')?.message ?? '', /^Docker unavailable: /);
  assert.match(condition(h, 'Ready')?.message ?? '', /^Docker unavailable: /);
  assert.is((await docker(['ps', '-aq', '--filter', `name=${env.name('never')}`])).stdout.trim(), '');
  // Still connected later: a spec change is reconciled (observedGeneration moves on) while the
  // agent's AgentConnected condition stays True and never transitioned (no reconnect in between).
  const connectedSince = (condition(h, 'AgentConnected') as { lastTransitionTime?: string } | undefined)?.lastTransitionTime;
  assert.ok(connectedSince, 'AgentConnected has a lastTransitionTime');
  env.write('nodocker.yaml', env.hostYaml(lonely, spec([env.name('never'), env.name('never2')])));
  const later = await env.waitHost(lonely, 'the changed spec reconciled', (x) => ((x.status as { observedGeneration?: number }).observedGeneration ?? 0) > h.metadata.generation ? x : undefined);
  const c = condition(later, 'AgentConnected') as { status: string; lastTransitionTime?: string } | undefined;
  assert.equal([c?.status, c?.lastTransitionTime], ['True', connectedSince], 'the agent stayed connected');
  assert.is((await docker(['ps', '-aq', '--filter', `name=${env.name('never')}`])).stdout.trim(), '', 'still nothing dispatched');
});

test.run();
