// A ContainerSet following a tag by digest (imageUpdates.policy: Poll) on the bed's three extra
// engines, against the bed's registry (htpasswd: the set's imagePullSecrets resolve the digests,
// the hosts' imagePullSecrets pull): the template runs pinned to the digest the tag had; an image
// pushed under the same tag rolls out; a broken one pushed under it (exits at once) is rolled back
// to the previous digest with Degraded naming host, container and message. Then failurePolicy:
// Pause: a broken revision stops on its first host and waits (no rollback, Degraded), and a new
// template starts a new rollout that completes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, until } from '../support/berth-env.js';
import { docker, dockerHosts, dockerOk, uniqueName } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const engines = dockerHosts().slice(0, 3);
const hosts = ['i1', 'i2', 'i3'];
const web = env.name('web');
const registry = () => bed('BERTH_TEST_REGISTRY');
const image = () => `${registry()}/${env.namespace}/app:stable`;
const dockerConfig = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
const cfg = { DOCKER_CONFIG: dockerConfig };
const digests: Record<string, string> = {};

interface SetView {
  metadata: { generation: number };
  status: {
    observedGeneration?: number; updateRevision?: string; currentRevision?: string; updatedHosts?: number; availableHosts?: number;
    hostStatuses?: Array<{ host: string; revision: string; available: boolean; message?: string }>;
    revisions?: Array<{ name: string; template: { containers: Array<{ name: string; image: string }> } }>;
    rollout?: { phase: string; target?: string; failedHost?: string; failedContainer?: string; message?: string };
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
  events?: Array<{ reason: string; message: string }>;
}
async function waitSet<T>(what: string, check: (s: SetView) => T | undefined | false, timeoutMs = 120_000): Promise<T> {
  let last: unknown;
  try {
    return await until(what, async () => { const r = await env.get<SetView>(`/api/v1/sets/${env.namespace}/app`); last = r.body; return r.status === 200 ? check(r.body) : undefined; }, timeoutMs, 300);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nlast set: ${JSON.stringify(last)}\nengines: ${JSON.stringify(await all())}\n${env.logs(6000)}`);
  }
}
const cond = (s: SetView, type: string) => s.status.conditions?.find((c) => c.type === type);
const pinnedImage = (s: SetView, revision?: string) => s.status.revisions?.find((r) => r.name === revision)?.template.containers[0]?.image;

const pullSecret = () => {
  const config = JSON.stringify({ auths: { [registry()]: { username: bed('BERTH_TEST_REGISTRY_USER'), password: bed('BERTH_TEST_REGISTRY_PASSWORD') } } });
  return `apiVersion: v1\nkind: Secret\nmetadata: { name: regcred, namespace: ${env.namespace} }\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '${config}'\n`;
};
const hostDoc = (name: string) => `apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: ${name}, namespace: ${env.namespace}, labels: { tier: edge } }\nspec:\n  imagePullSecrets: [{ name: regcred }]\n  containers: []\n---\napiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: ${name}, namespace: ${env.namespace} }\nspec: { hostRef: { name: ${name} } }\n`;
function setDoc(opts: { marker: string; failurePolicy: 'Rollback' | 'Pause'; image?: string; secrets?: boolean }): string {
  return `apiVersion: berth.dev/v1alpha1
kind: ContainerSet
metadata: { name: app, namespace: ${env.namespace} }
spec:
  hostSelector: { matchLabels: { tier: edge } }
  ${opts.secrets === false ? '' : 'imagePullSecrets: [{ name: regcred }]'}
  imageUpdates: { policy: Poll, intervalSeconds: 30 }
  template:
    containers:
    - name: ${web}
      image: ${opts.image ?? image()}
      imagePullPolicy: IfNotPresent
      command: ["sh", "-c", "cat /berth-image-version || exit 3; exec sleep 3600"]
      env: [{ name: MARKER, value: "${opts.marker}" }]
      restartPolicy: Never
      stopTimeoutSeconds: 1
  updateStrategy:
    rollingUpdate: { maxUnavailable: 1, minReadySeconds: 1 }
    failurePolicy: ${opts.failurePolicy}
    progressDeadlineSeconds: 60
`;
}

/** Push SOURCE under the followed tag; the digest the registry stored. */
async function push(source: string, label: string): Promise<string> {
  await dockerOk(['tag', source, image()]);
  const out = await dockerOk(['push', image()], { env: cfg });
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
  assert.ok(digest, out);
  digests[label] = digest!;
  return digest!;
}

/** An image like image 2 but broken: the file the template's command needs is gone, so it exits at once (3). */
async function brokenImage(): Promise<string> {
  const name = uniqueName();
  await dockerOk(['run', '--name', name, bed('BERTH_TEST_IMAGE_2'), 'sh', '-c', 'rm /berth-image-version']);
  const ref = `${image()}-broken`;
  await dockerOk(['commit', name, ref]);
  await dockerOk(['rm', name]);
  return ref;
}

/** The set container on engine I: the reference it was created from, running, MARKER. */
async function onEngine(i: number): Promise<{ ref: string; running: boolean; marker: string } | undefined> {
  const r = await docker(['inspect', web], { host: engines[i]! });
  if (r.code !== 0) return undefined;
  const c = (JSON.parse(r.stdout) as Array<{ State: { Running: boolean }; Config: { Image: string; Env: string[] } }>)[0]!;
  return { ref: c.Config.Image, running: c.State.Running, marker: c.Config.Env.find((e) => e.startsWith('MARKER='))?.slice(7) ?? '' };
}
const all = () => Promise.all([0, 1, 2].map(onEngine));

test.before(async () => {
  assert.is(engines.length, 3, 'the bed exports three extra engines (BERTH_TEST_DOCKER_HOSTS)');
  const login = await docker(['login', registry(), '-u', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin'], { env: cfg, input: bed('BERTH_TEST_REGISTRY_PASSWORD') });
  assert.is(login.code, 0, login.stderr);
  await push(bed('BERTH_TEST_IMAGE'), 'one');
  env.write('hosts.yaml', [pullSecret(), ...hosts.map(hostDoc)].join('---\n'));
  await env.startController();
  for (const [i, h] of hosts.entries()) await env.startAgent(h, { DOCKER_HOST: engines[i]! });
  for (const h of hosts) await env.waitReady(h, 90_000);
});
test.after(async () => {
  await env.cleanup();
  for (const e of engines) {
    await docker(['rm', '-f', web], { host: e });
    for (const d of Object.values(digests)) await docker(['rmi', '-f', `${image().replace(/:stable$/, '')}@${d}`], { host: e });
  }
  await docker(['rmi', '-f', image(), `${image()}-broken`]);
  const basic = `Basic ${Buffer.from(`${bed('BERTH_TEST_REGISTRY_USER')}:${bed('BERTH_TEST_REGISTRY_PASSWORD')}`).toString('base64')}`;
  for (const d of new Set(Object.values(digests))) {
    await fetch(`http://${registry()}/v2/${env.namespace}/app/manifests/${d}`, { method: 'DELETE', headers: { authorization: basic } }).catch(() => undefined);
  }
  rmSync(dockerConfig, { recursive: true, force: true });
});

test("without the set's imagePullSecrets the private tag is not resolved and nothing rolls out; with them it runs pinned", async () => {
  env.write('set.yaml', setDoc({ marker: 'a', failurePolicy: 'Rollback', secrets: false }));
  await new Promise((r) => setTimeout(r, 4000));
  const held = await env.get<SetView>(`/api/v1/sets/${env.namespace}/app`);
  assert.is(held.status, 200);
  assert.is(held.body.status?.updateRevision, undefined, `no revision without a digest: ${JSON.stringify(held.body.status)}`);
  assert.equal(await all(), [undefined, undefined, undefined], 'nothing created unpinned');
  assert.match(env.logs(20000), new RegExp(`${env.namespace}/app:stable: cannot resolve its digest: .*wants credentials`), 'held because the registry asked for credentials');
  env.write('set.yaml', setDoc({ marker: 'a', failurePolicy: 'Rollback' }));
  const s = await waitSet('Ready pinned to image 1', (x) => cond(x, 'Ready')?.status === 'True' && x);
  assert.is(pinnedImage(s, s.status.currentRevision), `${image()}@${digests.one}`);
  for (const c of await all()) assert.equal(c, { ref: `${image()}@${digests.one}`, running: true, marker: 'a' });
  assert.is((await dockerOk(['logs', web], { host: engines[0]! })).trim(), '1');
});

test('an image pushed under the same tag rolls out to its digest on every host', async () => {
  const before = (await waitSet('settled', (x) => x)).status.currentRevision;
  const two = await push(bed('BERTH_TEST_IMAGE_2'), 'two');
  assert.is.not(two, digests.one);
  const s = await waitSet('rolled out to image 2', (x) => x.status.rollout?.phase === 'Complete' && x.status.currentRevision !== before && x, 150_000);
  assert.is(pinnedImage(s, s.status.currentRevision), `${image()}@${two}`);
  for (const c of await all()) assert.equal(c, { ref: `${image()}@${two}`, running: true, marker: 'a' });
  assert.is((await dockerOk(['logs', web], { host: engines[2]! })).trim(), '2');
});

test('a broken image pushed under the tag is rolled back to the previous digest; Degraded names host, container, message', async () => {
  const good = (await waitSet('settled', (x) => x.status.rollout?.phase === 'Complete' && x)).status.currentRevision;
  const bad = await push(await brokenImage(), 'broken');
  const s = await waitSet('rolled back', (x) => cond(x, 'Degraded')?.status === 'True' && cond(x, 'Degraded')!.reason === 'RolledBack'
    && x.status.hostStatuses?.every((h) => h.revision === good && h.available) && x, 150_000);
  assert.is(pinnedImage(s, s.status.rollout!.target), `${image()}@${digests.two}`, 'back to the previous digest');
  assert.is(pinnedImage(s, s.status.updateRevision), `${image()}@${bad}`, 'the failed revision pinned the broken digest');
  assert.ok(hosts.includes(s.status.rollout!.failedHost!), JSON.stringify(s.status.rollout));
  assert.is(s.status.rollout!.failedContainer, web);
  assert.match(cond(s, 'Degraded')!.message, new RegExp(`host ${s.status.rollout!.failedHost}, container ${web}: .*exited with code 3`));
  assert.ok(s.events!.some((e) => e.reason === 'RollingBack'), JSON.stringify(s.events));
  for (const c of await all()) assert.equal(c, { ref: `${image()}@${digests.two}`, running: true, marker: 'a' });
});

test('failurePolicy Pause: the broken revision stops on its first host and waits; a new template rolls out', async () => {
  // A new template (marker p) with the tag still on the broken image: a new rollout that fails.
  env.write('set.yaml', setDoc({ marker: 'p', failurePolicy: 'Pause' }));
  const s = await waitSet('failed and paused', (x) => x.status.rollout?.phase === 'Failed' && cond(x, 'Degraded')?.reason === 'RolloutFailed' && x, 150_000);
  assert.is(cond(s, 'Degraded')!.status, 'True');
  assert.match(cond(s, 'Degraded')!.message, new RegExp(`host ${s.status.rollout!.failedHost}, container ${web}: .*exited with code 3`));
  await new Promise((r) => setTimeout(r, 5000));
  const now = await all();
  const failed = hosts.indexOf(s.status.rollout!.failedHost!);
  assert.equal(now[failed], { ref: `${image()}@${digests.broken}`, running: false, marker: 'p' }, 'the failed host keeps the broken revision (no rollback)');
  for (const [i, c] of now.entries()) if (i !== failed) assert.equal(c, { ref: `${image()}@${digests.two}`, running: true, marker: 'a' }, `host ${hosts[i]} not touched`);
  const later = (await env.get<SetView>(`/api/v1/sets/${env.namespace}/app`)).body;
  assert.is(later.status.rollout!.phase, 'Failed', 'still waiting');
  assert.not.ok(later.events!.filter((e) => e.reason === 'RollingBack').length > 1, 'no second rollback');

  // The fix: a new template pinning the good digest by hand (no longer followed) rolls out everywhere.
  env.write('set.yaml', setDoc({ marker: 'fixed', failurePolicy: 'Pause', image: `${image()}@${digests.two}` }));
  const done = await waitSet('new rollout complete', (x) => x.status.rollout?.phase === 'Complete' && cond(x, 'Ready')?.status === 'True' && x, 150_000);
  assert.is(cond(done, 'Degraded')!.status, 'False');
  for (const c of await all()) assert.equal(c, { ref: `${image()}@${digests.two}`, running: true, marker: 'fixed' });
});

test.run();
