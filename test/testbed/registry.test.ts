// Smoke test of the bed's `registry` component: a locally made image goes to 127.0.0.1:5000 after a
// login with the right password, comes back by pull and runs; wrong or no credentials are refused.
// Every docker login goes to a temp DOCKER_CONFIG, so nothing touches ~/.docker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bed } from '../support/testbed.js';
import { cleanup, docker, dockerOk, randomToken, uniqueImage, uniqueName } from '../support/docker.js';

const tempDirs: string[] = [];
function dockerConfig(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-docker-config-'));
  tempDirs.push(dir);
  return { DOCKER_CONFIG: dir };
}

const pushed: string[] = [];   // repository/tag pairs to delete from the registry afterwards

test.after(async () => {
  await cleanup();
  // Delete what we pushed (the registry has delete enabled), so the run dir does not grow per run.
  const auth = `Basic ${Buffer.from(`${bed('BERTH_TEST_REGISTRY_USER')}:${bed('BERTH_TEST_REGISTRY_PASSWORD')}`).toString('base64')}`;
  for (const ref of pushed) {
    const [repo, tag] = ref.slice(bed('BERTH_TEST_REGISTRY').length + 1).split(':');
    const url = `http://${bed('BERTH_TEST_REGISTRY')}/v2/${repo}/manifests/`;
    const head = await fetch(url + tag, { method: 'HEAD', headers: { authorization: auth, accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
    const digest = head.headers.get('docker-content-digest');
    if (digest) await fetch(url + digest, { method: 'DELETE', headers: { authorization: auth } });
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

test('the registry asks for credentials and accepts the bed user', async () => {
  const base = `http://${bed('BERTH_TEST_REGISTRY')}/v2/`;
  const anon = await fetch(base);
  assert.is(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic /);
  const auth = Buffer.from(`${bed('BERTH_TEST_REGISTRY_USER')}:${bed('BERTH_TEST_REGISTRY_PASSWORD')}`).toString('base64');
  const ok = await fetch(base, { headers: { authorization: `Basic ${auth}` } });
  assert.is(ok.status, 200);
});

test('push after login, remove locally, pull back, run', async () => {
  const registry = bed('BERTH_TEST_REGISTRY');
  const env = dockerConfig();
  const login = await docker(['login', '--username', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin', registry],
    { env, input: bed('BERTH_TEST_REGISTRY_PASSWORD') });
  assert.is(login.code, 0, login.stderr);
  assert.match(login.stdout, /Login Succeeded/);

  // A locally made image with content only this run knows: commit a container that wrote a token.
  const token = randomToken();
  const maker = uniqueName();
  await dockerOk(['run', '--name', maker, bed('BERTH_TEST_IMAGE'), 'sh', '-c', `echo ${token} > /berth-token`]);
  const ref = uniqueImage(registry);
  await dockerOk(['commit', '--change', 'CMD ["cat", "/berth-token"]', maker, ref]);

  const push = await docker(['push', ref], { env });
  assert.is(push.code, 0, push.stderr);
  pushed.push(ref);
  assert.match(push.stdout, /digest: sha256:[0-9a-f]{64}/);

  await dockerOk(['rmi', ref]);
  const gone = await docker(['image', 'inspect', ref]);
  assert.is.not(gone.code, 0, 'image still present locally after rmi');

  const pull = await docker(['pull', ref], { env });
  assert.is(pull.code, 0, pull.stderr);
  const out = await dockerOk(['run', '--rm', '--name', uniqueName(), ref]);
  assert.is(out, token);
});

test('login with a wrong password is refused', async () => {
  const r = await docker(['login', '--username', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin', bed('BERTH_TEST_REGISTRY')],
    { env: dockerConfig(), input: `${bed('BERTH_TEST_REGISTRY_PASSWORD')}-wrong` });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /401|unauthorized/i);
});

test('an anonymous pull is refused', async () => {
  // Push with credentials first, so the refusal is about auth and not a missing image.
  const registry = bed('BERTH_TEST_REGISTRY');
  const env = dockerConfig();
  await dockerOk(['login', '--username', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin', registry],
    { env, input: bed('BERTH_TEST_REGISTRY_PASSWORD') });
  const ref = uniqueImage(registry);
  await dockerOk(['tag', bed('BERTH_TEST_IMAGE'), ref]);
  await dockerOk(['push', ref], { env });
  pushed.push(ref);
  await dockerOk(['rmi', ref]);

  const r = await docker(['pull', ref], { env: dockerConfig() });   // a fresh config: no credentials
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /no basic auth credentials|unauthorized|401/i);
  const local = await docker(['image', 'inspect', ref]);
  assert.is.not(local.code, 0, 'the refused pull left an image behind');
});

test.run();
