// A ContainerHost with spec.imageUpdates.policy: Poll, on an extra engine of the bed, pulling from
// the bed's registry with an imagePullSecret: the container runs its tag pinned by digest; a new
// image pushed under the same tag recreates it with the new digest; a controller restart (the
// poller empty again) recreates nothing; a host without the option is never touched by a push.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv } from '../support/berth-env.js';
import { docker, dockerHosts, dockerOk } from '../support/docker.js';
import { bed } from '../support/testbed.js';
import { until } from '../support/wait.js';

const env = new BerthEnv();
const registry = () => bed('BERTH_TEST_REGISTRY');
const image = () => `${registry()}/${env.namespace}/app:stable`;
const dockerConfig = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));
const cfg = { DOCKER_CONFIG: dockerConfig };
const engine = () => dockerHosts()[2]!;
const [followed, fixed] = [env.name('followed'), env.name('fixed')];

const pullSecret = () => {
  const config = JSON.stringify({ auths: { [registry()]: { username: bed('BERTH_TEST_REGISTRY_USER'), password: bed('BERTH_TEST_REGISTRY_PASSWORD') } } });
  return `apiVersion: v1\nkind: Secret\nmetadata: { name: regcred, namespace: ${env.namespace} }\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '${config}'\n`;
};
const container = (name: string) => `- name: ${name}
  image: ${image()}
  imagePullPolicy: Always
  command: ["sh", "-c", "cat /berth-image-version; sleep 3600"]
  stopTimeoutSeconds: 1`;

async function push(source: string): Promise<string> {
  await dockerOk(['tag', source, image()]);
  const out = await dockerOk(['push', image()], { env: cfg });
  return /digest: (sha256:[0-9a-f]{64})/.exec(out)![1]!;
}
const inspect = (name: string) => dockerOk(['inspect', '-f', '{{.Id}} {{.Config.Image}}', name], { host: engine() })
  .then((out) => { const [id, ref] = out.split(' '); return { id: id!, ref: ref! }; });

test.before(async () => {
  const login = await docker(['login', registry(), '-u', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin'], { env: cfg, input: bed('BERTH_TEST_REGISTRY_PASSWORD') });
  assert.is(login.code, 0, login.stderr);
  await env.startController();
});
test.after(async () => {
  await env.cleanup();
  await docker(['rm', '-f', followed, fixed], { host: engine() });
  await docker(['rmi', '-f', image()]);
  rmSync(dockerConfig, { recursive: true, force: true });
});

test('a followed tag runs pinned by digest, a push under the same tag recreates it, a restart does not', async () => {
  const one = await push(bed('BERTH_TEST_IMAGE'));
  env.write('host.yaml', `${pullSecret()}---\n${env.hostYaml('poll', `imagePullSecrets: [{ name: regcred }]
imageUpdates: { policy: Poll, intervalSeconds: 30 }
containers:
${container(followed)}`)}---\n${env.hostYaml('still', `imagePullSecrets: [{ name: regcred }]
containers:
${container(fixed)}`)}`);
  await env.startAgent('poll', { DOCKER_HOST: engine() });
  await env.startAgent('still', { DOCKER_HOST: engine() });
  await env.waitReady('poll', 90_000);
  await env.waitReady('still', 90_000);
  const first = await inspect(followed);
  assert.is(first.ref, `${image()}@${one}`, 'created pinned to the digest the tag had');
  const fixedBefore = await inspect(fixed);
  assert.is(fixedBefore.ref, image(), 'without imageUpdates the tag is used as written');
  const status = await env.host('poll');
  assert.match((status?.status.containers?.find((c) => c.name === followed) as { image?: string } | undefined)?.image ?? '', new RegExp(`@${one}$`), 'status shows the digest it runs');

  const two = await push(bed('BERTH_TEST_IMAGE_2'));
  assert.is.not(two, one);
  const second = await until('recreated with the new digest', async () => {
    const now = await inspect(followed).catch(() => undefined);
    return now && now.ref === `${image()}@${two}` ? now : undefined;
  }, 60_000, 500);
  assert.is.not(second.id, first.id, 'a new container');
  await env.waitReady('poll', 60_000);
  assert.is((await dockerOk(['logs', followed], { host: engine() })).trim(), '2', 'it runs the image pushed second');
  assert.equal(await inspect(fixed), fixedBefore, 'the host without imageUpdates was not touched');

  // A restarted controller starts with an empty poller: the running pin stands in, nothing is recreated.
  await env.kill(env.controller, 'SIGTERM');
  await env.startController();
  await env.waitReady('poll', 60_000);
  await new Promise((r) => setTimeout(r, 3000));
  assert.is((await inspect(followed)).id, second.id, 'not recreated by the restart');
});

test.run();
