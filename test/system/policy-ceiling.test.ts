// The agent's policy ceiling on a real dockerd (issue 12 item 3): a ContainerHost whose own policy
// allows privileged containers and a host path is still refused by an agent whose ceiling does not;
// the refusal is in the container's status and a Warning Event, and nothing was created. The machine's
// owner then allows the host path (a policy file) and only that container runs; privileged stays refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const host = 'owner';
const [priv, bind] = [env.name('priv'), env.name('bind')];
const shared = mkdtempSync(join(tmpdir(), 'berth-ceiling-'));

const sleeper = (name: string, extra: string) => `- name: ${name}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "sleep 3600"]
  stopTimeoutSeconds: 1${extra}`;

interface Detail { status: { containers?: Array<{ name: string; message?: string; containerID?: string }> }; events?: Array<{ type: string; reason: string; message: string }> }
const detail = async () => (await env.get<Detail>(`/api/v1/hosts/${env.namespace}/${host}`)).body;
const messageOf = (d: Detail, name: string) => d.status.containers?.find((c) => c.name === name)?.message ?? '';

test.before(async () => {
  // The ContainerHost's author allows everything this host uses; only the agent's ceiling says no.
  env.write('owner.yaml', env.hostYaml(host, `policy: { allowPrivileged: true, allowedHostPaths: ["${shared}"] }
containers:
${sleeper(priv, '\n  privileged: true')}
${sleeper(bind, `\n  volumes: [{ hostPath: "${shared}", mountPath: /shared, readOnly: true }]`)}`));
  await env.startController();
  await env.startAgent(host);   // no ceiling flags: the default, deny all
});
test.after(async () => { await env.cleanup(); rmSync(shared, { recursive: true, force: true }); });

test('an agent with the default ceiling refuses both; the refusal is in status and an Event; nothing is created', async () => {
  const d = await env.waitHost(host, 'both refusals in status', (h) => {
    const m = (n: string) => h.status.containers?.find((c) => c.name === n)?.message ?? '';
    return m(priv).includes('ceiling') && m(bind).includes('ceiling') ? h : undefined;
  });
  assert.match(messageOf(d as Detail, priv), /privileged but this agent's ceiling does not allow privileged containers \(agent flag --allow-privileged\)/);
  assert.match(messageOf(d as Detail, bind), /hostPath ".*" is not under a host path this agent allows \(agent flag --allowed-host-paths; allowed: none\)/);
  const events = (await detail()).events ?? [];
  assert.ok(events.some((e) => e.type === 'Warning' && e.message.includes(priv) && e.message.includes("this agent's policy ceiling")), JSON.stringify(events));
  assert.equal(await env.containers(host), [], 'no container was created');
  const stalled = (await env.host(host))!.status.conditions?.find((c) => c.type === 'Stalled');
  assert.is(stalled?.reason, 'PolicyRefused');
});

test('the owner allows the host path in a policy file: that container runs, the privileged one stays refused', async () => {
  await env.kill(env.agents.get(host), 'SIGTERM');
  const file = join(env.root, 'agent-policy.yaml');
  writeFileSync(file, `allowedHostPaths: ["${shared}"]\n`);
  await env.startAgent(host, { BERTH_POLICY_FILE: file });
  await env.waitHost(host, `${bind} running`, (h) => h.status.containers?.find((c) => c.name === bind && c.state === 'Running')).catch(async (err: Error) => {
    throw new Error(`${err.message}\n${JSON.stringify((await env.host(host))?.status)}\n${env.logs(4000)}`);
  });
  const inspect = JSON.parse((await docker(['inspect', bind])).stdout) as Array<{ HostConfig: { Binds: string[]; Privileged: boolean } }>;
  assert.equal(inspect[0]!.HostConfig.Binds, [`${shared}:/shared:ro`]);
  assert.match(messageOf(await detail(), priv), /--allow-privileged/);
  assert.equal((await env.containers(host)).map((c) => c.name), [bind], 'the privileged container was never created');
});

test.run();
