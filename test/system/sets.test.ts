// ContainerSets in directory mode on the bed's three extra engines, one real agent per engine:
// a set's container reaches every selected host; a rolling update never has more than
// maxUnavailable hosts without a running set container and recreates each host's container once;
// a broken revision is rolled back with Degraded reported; label changes move hosts in and out;
// a name collision is reported on both sides; a controller SIGKILL mid-rollout resumes without
// updating any host twice.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { docker, dockerHosts } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const engines = dockerHosts().slice(0, 3);
const hosts = ['e1', 'e2', 'e3'];
const web = env.name('web');
const image = bed('BERTH_TEST_IMAGE');

interface SetView {
  status: {
    updateRevision?: string; currentRevision?: string; hosts?: number; updatedHosts?: number; availableHosts?: number;
    hostStatuses?: Array<{ host: string; revision: string; available: boolean; message?: string; collisions?: string[] }>;
    rollout?: { phase: string; failedHost?: string; failedContainer?: string; message?: string };
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
  events?: Array<{ reason: string; message: string }>;
}

function hostDoc(name: string, labels: Record<string, string>, own = ''): string {
  return `apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: ${name}, namespace: ${env.namespace}, labels: ${JSON.stringify(labels)} }\nspec:\n  containers: [${own}]\n---\napiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: ${name}, namespace: ${env.namespace} }\nspec: { hostRef: { name: ${name} } }\n`;
}
function setDoc(opts: { marker: string; command?: string; maxUnavailable?: number; minReadySeconds?: number; restartPolicy?: string; deadline?: number; extra?: string; paused?: boolean }): string {
  const command = opts.command ?? `echo ${opts.marker}; while true; do sleep 1; done`;
  return `apiVersion: berth.dev/v1alpha1
kind: ContainerSet
metadata: { name: app, namespace: ${env.namespace} }
spec:
  hostSelector: { matchLabels: { tier: edge } }
  template:
    containers:
    - name: ${web}
      image: ${image}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", ${JSON.stringify(command)}]
      env: [{ name: MARKER, value: "${opts.marker}" }]
      restartPolicy: ${opts.restartPolicy ?? 'UnlessStopped'}
      stopTimeoutSeconds: 1
  updateStrategy:
    rollingUpdate: { maxUnavailable: ${opts.maxUnavailable ?? 1}, minReadySeconds: ${opts.minReadySeconds ?? 0} }
    progressDeadlineSeconds: ${opts.deadline ?? 60}
${opts.extra ?? ''}
  paused: ${opts.paused ?? false}
`;
}

const getSet = async () => (await env.get<SetView>(`/api/v1/sets/${env.namespace}/app`)).body;
const waitSet = <T>(what: string, check: (s: SetView) => T | undefined | false, timeoutMs = 90_000) =>
  until(what, async () => { const r = await env.get<SetView>(`/api/v1/sets/${env.namespace}/app`); return r.status === 200 ? check(r.body) : undefined; }, timeoutMs);
const cond = (s: SetView, type: string) => s.status.conditions?.find((c) => c.type === type);

/** The set container on one engine: id, running, and its MARKER. */
async function onEngine(i: number): Promise<{ id: string; running: boolean; marker: string } | undefined> {
  const r = await docker(['inspect', web], { host: engines[i]! });
  if (r.code !== 0) return undefined;
  const c = (JSON.parse(r.stdout) as Array<{ Id: string; State: { Running: boolean }; Config: { Env: string[] } }>)[0]!;
  return { id: c.Id, running: c.State.Running, marker: c.Config.Env.find((e) => e.startsWith('MARKER='))?.slice(7) ?? '' };
}

test.before(async () => {
  assert.is(engines.length, 3, 'the bed exports three extra engines (BERTH_TEST_DOCKER_HOSTS)');
  for (const h of hosts) env.write(`${h}.yaml`, hostDoc(h, { tier: 'edge' }));
  await env.startController();
  for (const [i, h] of hosts.entries()) await env.startAgent(h, { DOCKER_HOST: engines[i]! });
  for (const h of hosts) await env.waitReady(h);
});
test.after(async () => {
  await env.cleanup();
  for (const e of engines) await docker(['rm', '-f', web], { host: e });
});

test('a new set runs its container on every selected host and becomes Ready', async () => {
  env.write('set.yaml', setDoc({ marker: 'v1' }));
  const s = await waitSet('set Ready', (x) => cond(x, 'Ready')?.status === 'True' && x);
  assert.is(s.status.hosts, 3);
  assert.is(s.status.availableHosts, 3);
  for (let i = 0; i < 3; i++) assert.equal({ ...(await onEngine(i))!, id: '' }, { id: '', running: true, marker: 'v1' });
  const h = await env.host('e1');
  assert.ok(h!.status.containers!.some((c) => c.name === web && c.ready), 'the host shows the set container too');
});

test('a rolling update keeps at least hosts - maxUnavailable running and recreates each host once', async () => {
  const ids = await Promise.all([0, 1, 2].map(async (i) => new Set([(await onEngine(i))!.id])));
  env.write('set.yaml', setDoc({ marker: 'v2', minReadySeconds: 2 }));
  let worst = 0;
  await until('rollout of v2 complete', async () => {
    const now = await Promise.all([0, 1, 2].map(onEngine));
    now.forEach((c, i) => { if (c) ids[i]!.add(c.id); });
    worst = Math.max(worst, now.filter((c) => !c?.running).length);
    const s = await getSet();
    return s.status.rollout?.phase === 'Complete' && s.status.updatedHosts === 3 && now.every((c) => c?.marker === 'v2' && c.running);
  }, 120_000, 150);
  assert.ok(worst <= 1, `at most 1 host without a running set container (saw ${worst})\n${env.logs(20000)}`);
  assert.equal(ids.map((s) => s.size), [2, 2, 2], 'each host recreated exactly once');
});

test('a broken revision is rolled back to the last good one and Degraded is reported', async () => {
  const good = (await getSet()).status.currentRevision;
  env.write('set.yaml', setDoc({ marker: 'v3', command: 'exit 3', restartPolicy: 'Never' }));
  const s = await waitSet('rolled back', (x) => cond(x, 'Degraded')?.status === 'True' && x.status.hostStatuses?.every((h) => h.revision === good && h.available) && x);
  assert.is(cond(s, 'Degraded')!.reason, 'RolledBack');
  assert.match(cond(s, 'Degraded')!.message, new RegExp(`container ${web}: exited with code 3`));
  assert.is(s.status.rollout!.failedContainer, web);
  assert.ok(s.events!.some((e) => e.reason === 'RollingBack'), JSON.stringify(s.events));
  for (let i = 0; i < 3; i++) assert.equal((await onEngine(i))!.marker, 'v2');
  const metrics = await (await fetch(`${env.url}/metrics`)).text();
  assert.match(metrics, new RegExp(`berth_containerset_degraded\\{namespace="${env.namespace}",name="app"\\} 1`));
});

test('label changes move a host out (its set container removed) and back in', async () => {
  env.write('set.yaml', setDoc({ marker: 'v4' }));
  await waitSet('v4 complete', (x) => x.status.rollout?.phase === 'Complete' && x.status.updatedHosts === 3);
  env.write('e3.yaml', hostDoc('e3', { tier: 'core' }));
  await until('set container gone from e3', async () => (await onEngine(2)) === undefined, 60_000);
  assert.is((await waitSet('2 hosts', (x) => x.status.hosts === 2 && x)).status.hostStatuses!.map((h) => h.host).join(), 'e1,e2');
  env.write('e3.yaml', hostDoc('e3', { tier: 'edge' }));
  await until('set container back on e3', async () => (await onEngine(2))?.marker === 'v4', 60_000);
  assert.is((await waitSet('Ready with 3', (x) => cond(x, 'Ready')?.status === 'True' && x.status.hosts === 3 && x)).status.availableHosts, 3);
});

test('a name the host already uses is not applied there; both sides say so', async () => {
  const own = `{ name: ${web}, image: ${image}, imagePullPolicy: IfNotPresent, command: ["sh", "-c", "echo own; while true; do sleep 1; done"], env: [{ name: MARKER, value: own }], stopTimeoutSeconds: 1 }`;
  env.write('e2.yaml', hostDoc('e2', { tier: 'edge' }, own));
  const h = await env.waitHost('e2', 'SetConflict', (x) => condition(x, 'SetConflict')?.status === 'True' && x);
  assert.match(condition(h, 'SetConflict')!.message, new RegExp(`container "${web}" not applied, the name is taken by the host itself`));
  await until('own container on e2', async () => (await onEngine(1))?.marker === 'own', 60_000);
  const s = await waitSet('collision in status', (x) => (x.status.hostStatuses?.find((h) => h.host === 'e2')?.collisions?.length ?? 0) > 0 && x);
  assert.equal(s.status.hostStatuses!.find((e) => e.host === 'e2')!.collisions, [web]);
  env.write('e2.yaml', hostDoc('e2', { tier: 'edge' }));
  await until('set container back on e2', async () => (await onEngine(1))?.marker === 'v4', 60_000);
});

test('canary: one host, a pause, then paused true → false releases the rest', async () => {
  await waitSet('settled', (x) => cond(x, 'Ready')?.status === 'True');
  const canary = '    canary: { hosts: 1, pause: true }';
  env.write('set.yaml', setDoc({ marker: 'c1', extra: canary }));
  await waitSet('canary paused', (x) => x.status.rollout?.phase === 'Paused' && x);
  await new Promise((r) => setTimeout(r, 2000));
  const markers = await Promise.all([0, 1, 2].map(async (i) => (await onEngine(i))?.marker));
  assert.is(markers.filter((m) => m === 'c1').length, 1, `one canary host: ${markers.join(',')}`);
  const before = (await env.get<{ metadata: { generation: number } }>(`/api/v1/sets/${env.namespace}/app`)).body.metadata.generation;
  env.write('set.yaml', setDoc({ marker: 'c1', extra: canary, paused: true }));
  // The controller must see paused: true (a new generation observed) before it is cleared again.
  await waitSet('paused seen', (x) => (x as SetView & { metadata: { generation: number } }).metadata.generation > before
    && (x.status as { observedGeneration?: number }).observedGeneration === (x as SetView & { metadata: { generation: number } }).metadata.generation);
  env.write('set.yaml', setDoc({ marker: 'c1', extra: canary, paused: false }));
  await waitSet('released and complete', (x) => x.status.rollout?.phase === 'Complete' && x.status.updatedHosts === 3);
  for (let i = 0; i < 3; i++) assert.is((await onEngine(i))!.marker, 'c1');
});

test('a controller SIGKILL mid-rollout resumes from status without updating a host twice', async () => {
  await waitSet('settled', (x) => cond(x, 'Ready')?.status === 'True');
  const ids = await Promise.all([0, 1, 2].map(async (i) => new Set([(await onEngine(i))!.id])));
  env.write('set.yaml', setDoc({ marker: 'v5', minReadySeconds: 3 }));
  await until('first host on v5', async () => (await Promise.all([0, 1, 2].map(onEngine))).some((c) => c?.marker === 'v5'), 60_000, 100);
  await env.kill(env.controller, 'SIGKILL');
  await env.startController();
  await until('rollout of v5 complete', async () => {
    const now = await Promise.all([0, 1, 2].map(onEngine));
    now.forEach((c, i) => { if (c) ids[i]!.add(c.id); });
    const r = await env.get<SetView>(`/api/v1/sets/${env.namespace}/app`);
    return r.status === 200 && r.body.status.rollout?.phase === 'Complete' && r.body.status.updatedHosts === 3 && now.every((c) => c?.marker === 'v5' && c.running);
  }, 120_000, 150);
  assert.equal(ids.map((s) => s.size), [2, 2, 2], 'each host recreated exactly once across the restart');
});

test.run();
