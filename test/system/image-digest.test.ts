// Image updates by digest against the bed's real registry (htpasswd, plain HTTP on 127.0.0.1:5000):
// the resolver reads the digest `docker push` produced, sees a tag move when a new image is pushed
// under the same tag, the poller tells its owners, and the pinned reference (repo:tag@sha256:…)
// pulls and runs the image it pins on an extra engine even after the tag moved on.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bed } from '../support/testbed.js';
import { cleanup, docker, dockerHosts, dockerOk, uniqueImage, uniqueName } from '../support/docker.js';
import { registryResolver, resolveDigest } from '../../controller/images/registry-digest.js';
import { DigestPoller } from '../../controller/images/digest-poller.js';
import { pinImage } from '../../controller/images/reference.js';
import type { PullAuth } from '../../protocol/container.js';

const configDir = mkdtempSync(join(tmpdir(), 'berth-test-docker-config-'));
const env = { DOCKER_CONFIG: configDir };
const auth = (): PullAuth => ({ serveraddress: bed('BERTH_TEST_REGISTRY'), username: bed('BERTH_TEST_REGISTRY_USER'), password: bed('BERTH_TEST_REGISTRY_PASSWORD') });
const pushedDigests: Array<{ repo: string; digest: string }> = [];

test.before(async () => {
  const r = await docker(['login', '--username', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin', bed('BERTH_TEST_REGISTRY')],
    { env, input: bed('BERTH_TEST_REGISTRY_PASSWORD') });
  assert.is(r.code, 0, r.stderr);
});

test.after(async () => {
  await cleanup();
  const a = auth();
  const basic = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
  for (const { repo, digest } of pushedDigests) {
    await fetch(`http://${bed('BERTH_TEST_REGISTRY')}/v2/${repo}/manifests/${digest}`, { method: 'DELETE', headers: { authorization: basic } });
  }
  rmSync(configDir, { recursive: true, force: true });
});

/** Push SOURCE as REF; the digest the registry stored, as `docker push` reports it. */
async function push(source: string, ref: string): Promise<string> {
  await dockerOk(['tag', source, ref]);
  const out = await dockerOk(['push', ref], { env });
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(out)?.[1];
  assert.ok(digest, out);
  pushedDigests.push({ repo: ref.slice(bed('BERTH_TEST_REGISTRY').length + 1).replace(/:[^:/]+$/, ''), digest: digest! });
  return digest!;
}

test('the resolver reads the digest docker push produced, and the new one after a push under the same tag', async () => {
  const ref = uniqueImage(bed('BERTH_TEST_REGISTRY'), 'stable');
  const one = await push(bed('BERTH_TEST_IMAGE'), ref);
  assert.is(await resolveDigest(ref, { auth: auth() }), one);
  const two = await push(bed('BERTH_TEST_IMAGE_2'), ref);
  assert.is.not(two, one);
  assert.is(await resolveDigest(ref, { auth: auth() }), two, 'the tag moved');
});

test('wrong or missing credentials and a missing tag are refused with the reason', async () => {
  const ref = uniqueImage(bed('BERTH_TEST_REGISTRY'), 'x');
  await push(bed('BERTH_TEST_IMAGE'), ref);
  const fails = async (p: Promise<unknown>, re: RegExp) => {
    try { await p; } catch (err) { assert.match((err as Error).message, re); return; }
    assert.unreachable('resolved');
  };
  await fails(resolveDigest(ref), /wants credentials/);
  await fails(resolveDigest(ref, { auth: { ...auth(), password: 'wrong' } }), /refused the credentials \(401\)/);
  await fails(resolveDigest(ref.replace(/:x$/, ':nope'), { auth: auth() }), /no such tag/);
});

test('the poller with the real resolver tells its owner when the tag moves; the pin runs the image it names', async () => {
  const ref = uniqueImage(bed('BERTH_TEST_REGISTRY'), 'live');
  const one = await push(bed('BERTH_TEST_IMAGE'), ref);
  const changes: string[] = [];
  const poller = new DigestPoller({ resolve: registryResolver(), onChange: (owners, _image, digest) => changes.push(`${owners.join(',')} ${digest}`) });
  poller.track('set/ns/app', [{ image: ref, intervalSeconds: 10, auth: auth() }]);
  await poller.tick();
  assert.equal(changes, [`set/ns/app ${one}`]);
  const two = await push(bed('BERTH_TEST_IMAGE_2'), ref);
  await poller.tick();
  assert.equal(changes, [`set/ns/app ${one}`], 'not due before its interval');
  // A poller with its clock moved past the interval polls again and sees the move.
  let now = Date.now();
  const later = new DigestPoller({ resolve: registryResolver(), now: () => now, onChange: (_o, _i, digest) => changes.push(`later ${digest}`) });
  later.track('set/ns/app', [{ image: ref, intervalSeconds: 10, auth: auth() }]);
  await later.tick();
  now += 10_000;
  await later.tick();
  assert.equal(changes.slice(1), [`later ${two}`], 'only one change: the digest did not move between the two polls');
  assert.is(later.digest(ref), two);
  poller.stop(); later.stop();

  // The old pin still pulls image 1 although the tag now names image 2 (an extra engine, fresh pull).
  const host = dockerHosts()[0]!;
  const login = await docker(['login', '--username', bed('BERTH_TEST_REGISTRY_USER'), '--password-stdin', bed('BERTH_TEST_REGISTRY')],
    { env, input: bed('BERTH_TEST_REGISTRY_PASSWORD'), host });
  assert.is(login.code, 0, login.stderr);
  const marker = await dockerOk(['run', '--rm', '--name', uniqueName(), pinImage(ref, one), 'cat', '/berth-image-version'], { env, host });
  assert.is(marker, '1');
  const latest = await dockerOk(['run', '--rm', '--name', uniqueName(), pinImage(ref, two), 'cat', '/berth-image-version'], { env, host });
  assert.is(latest, '2');
  for (const d of [one, two]) await docker(['rmi', pinImage(ref, d).replace(/:[^:/@]+@/, '@')], { host });
});

test.run();
