// `berth restart` in directory mode, end to end on the bed's dockerd: each container is restarted
// exactly once, in place — Docker's StartedAt changes once, the container ID and spec hash stay —
// and neither a resync nor a controller restart restarts it again. A per-container request touches
// only that container; a `berth.dev/restartedAt` annotation written into the manifest works too.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { run } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const a = env.name('a');
const b = env.name('b');
const container = (name: string) => `- name: ${name}\n  image: ${bed('BERTH_TEST_IMAGE')}\n  imagePullPolicy: IfNotPresent\n  command: ["sh", "-c", "while true; do sleep 1; done"]\n  stopTimeoutSeconds: 1`;
const spec = `containers:\n${container(a)}\n${container(b)}`;

interface Inspect { Id: string; State: { StartedAt: string; Running: boolean }; Config: { Labels: Record<string, string> } }
async function inspect(name: string): Promise<Inspect> {
  const r = await docker(['inspect', name]);
  return (JSON.parse(r.stdout) as Inspect[])[0]!;
}
const restart = (args: string[]) => run(process.execPath, [join(repoRoot, 'bin/berth.js'), 'restart', ...args, '--server', env.url, '--token-file', join(env.state, 'ui-token')], { timeoutMs: 90_000 });

test.before(async () => {
  env.write('box.yaml', env.hostYaml('box', spec));
  await env.startController();
  await env.startAgent('box');
  await env.waitReady('box');
});
test.after(async () => { await env.cleanup(); });

test('berth restart --wait restarts every container once, in place; a resync and a controller restart do not repeat it', async () => {
  const before = await Promise.all([inspect(a), inspect(b)]);
  const r = await restart([`${env.namespace}/box`, '--wait', '--timeout', '60']);
  assert.is(r.code, 0, r.stderr + env.logs());
  assert.match(r.stdout, /restart of every container requested for (\S+)/);
  const after = await Promise.all([inspect(a), inspect(b)]);
  for (const [i, x] of after.entries()) {
    assert.is(x.Id, before[i]!.Id, 'same container');
    assert.is(x.Config.Labels['berth.dev/spec-hash'], before[i]!.Config.Labels['berth.dev/spec-hash'], 'spec hash unchanged');
    assert.ok(x.State.Running);
    assert.ok(Date.parse(x.State.StartedAt) > Date.parse(before[i]!.State.StartedAt), 'started again');
  }
  const h = await env.host('box');
  const at = /requested for (\S+)/.exec(r.stdout)![1]!;
  assert.equal(h!.status.containers!.map((c) => (c as { restartedFor?: string }).restartedFor), [at, at]);
  const events = (await env.get<{ events: Array<{ reason: string; message: string; count: number }> }>(`/api/v1/hosts/${env.namespace}/box`)).body.events;
  const requested = events.find((e) => e.reason === 'RestartRequested');
  assert.ok(requested && /^\S+ \(as the client says\) with the ui-token requested a restart of every container/.test(requested.message), JSON.stringify(events));
  assert.is(events.filter((e) => e.reason === 'Restarted').length, 2);

  // A controller restart: the agent reconnects with its full inventory (as on every resync), the
  // ledger starts empty and reads status.containers[].restartedFor — nothing is restarted again.
  await env.kill(env.controller, 'SIGTERM');
  await env.startController();
  await env.waitReady('box');
  await new Promise((res) => setTimeout(res, 3000));
  const later = await Promise.all([inspect(a), inspect(b)]);
  assert.equal(later.map((x) => x.State.StartedAt), after.map((x) => x.State.StartedAt), 'no second restart');
});

test('a per-container request restarts only that container', async () => {
  const [ba, bb] = await Promise.all([inspect(a), inspect(b)]);
  const r = await restart([`${env.namespace}/box`, b, '--wait', '--timeout', '60']);
  assert.is(r.code, 0, r.stderr);
  const [xa, xb] = await Promise.all([inspect(a), inspect(b)]);
  assert.is(xa.State.StartedAt, ba.State.StartedAt, 'the other container was left alone');
  assert.ok(Date.parse(xb.State.StartedAt) > Date.parse(bb.State.StartedAt));
  assert.is(xb.Id, bb.Id);
  const bad = await restart([`${env.namespace}/box`, 'nope']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /404 container nope is not declared/);
});

test('the berth.dev/restartedAt annotation in the manifest restarts once (GitOps: commit it)', async () => {
  const before = await inspect(a);
  const at = new Date().toISOString();
  env.write('box.yaml', env.hostYaml('box', spec).replace(`namespace: ${env.namespace} }\nspec:`, `namespace: ${env.namespace}, annotations: { berth.dev/restartedAt: "${at}" } }\nspec:`));
  await until('a restarted for the annotation', async () => {
    const h = await env.host('box');
    return h?.status.containers?.find((c) => c.name === a && (c as { restartedFor?: string }).restartedFor === at);
  }, 60_000);
  const after = await inspect(a);
  assert.is(after.Id, before.Id);
  assert.ok(Date.parse(after.State.StartedAt) > Date.parse(before.State.StartedAt));
  await new Promise((res) => setTimeout(res, 2000));
  assert.is((await inspect(a)).State.StartedAt, after.State.StartedAt, 'once');
});

test.run();
