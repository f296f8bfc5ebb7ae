// Pulling through Berth from the test bed's registry (htpasswd auth) with an imagePullSecret kept
// as a v1 Secret beside the manifests; a wrong password ends in a clear message in status.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, condition } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const registry = () => bed('BERTH_TEST_REGISTRY');
const image = () => `${registry()}/${env.namespace}/app:1`;
const dockerConfig = mkdtempSync(join(tmpdir(), 'berth-docker-config-'));

const pullSecret = (name: string, password: string) => {
  const config = JSON.stringify({ auths: { [registry()]: { username: bed('BERTH_TEST_REGISTRY_USER'), password } } });
  return `apiVersion: v1\nkind: Secret\nmetadata: { name: ${name}, namespace: ${env.namespace} }\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '${config}'\n`;
};
const hostWith = (host: string, secret: string, container: string) => env.hostYaml(host, `imagePullSecrets: [{ name: ${secret} }]
containers:
- name: ${container}
  image: ${image()}
  command: ["sh", "-c", "cat /berth-image-version; sleep 3600"]
  stopTimeoutSeconds: 1`);

test.before(async () => {
  // Push a locally made image to the registry, then drop every local copy of that name.
  const cfg = { DOCKER_CONFIG: dockerConfig };
  const login = await docker(['login', registry(), '-u', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin'], { env: cfg, input: bed('BERTH_TEST_REGISTRY_PASSWORD') });
  assert.is(login.code, 0, login.stderr);
  assert.is((await docker(['tag', bed('BERTH_TEST_IMAGE_2'), image()])).code, 0);
  const push = await docker(['push', image()], { env: cfg });
  assert.is(push.code, 0, push.stderr);
  assert.is((await docker(['rmi', image()])).code, 0);
  await env.startController();
});
test.after(async () => {
  await env.cleanup();
  await docker(['rmi', '-f', image()]);
  rmSync(dockerConfig, { recursive: true, force: true });
});

test('an image is pulled from the registry with the credentials of an imagePullSecret', async () => {
  env.write('good.yaml', `${pullSecret('regcred', bed('BERTH_TEST_REGISTRY_PASSWORD'))}---\n${hostWith('good', 'regcred', env.name('pulled'))}`);
  await env.startAgent('good');
  await env.waitReady('good', 90_000);
  assert.is((await docker(['logs', env.name('pulled')])).stdout.trim(), '2', 'the pulled image runs');
});

test('a wrong registry password gives a clear message in status, and nothing is created', async () => {
  await docker(['rmi', '-f', image()]);
  env.write('bad.yaml', `${pullSecret('badcred', 'wrong-password')}---\n${hostWith('bad', 'badcred', env.name('refused'))}`);
  await env.startAgent('bad');
  const c = await env.waitHost('bad', 'pull failure reported', (h) => h.status.containers?.find((x) => x.state === 'Failed'), 60_000);
  assert.match(c.message ?? '', /pull|unauthorized|authentication/i);
  assert.match(c.message ?? '', registry());
  console.log('    status message:', c.message);
  const h = await env.host('bad');
  assert.is(condition(h, 'Synced')?.reason, 'Failed');
  assert.is((await docker(['ps', '-aq', '--filter', `name=${env.name('refused')}`])).stdout.trim(), '');
});

test.run();
