// Smoke test of the bed's `docker` component: the real dockerd runs the locally made images, a
// published host port answers on 127.0.0.1, and the two test images really differ.
import { execFileSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bed } from '../support/testbed.js';
import { cleanup, docker, dockerOk, eventually, publishedPort, randomToken, uniqueName } from '../support/docker.js';

test.after(cleanup);

test('docker runs busybox and we read its output', async () => {
  const token = randomToken();
  const r = await docker(['run', '--rm', '--name', uniqueName(), bed('BERTH_TEST_IMAGE'), 'echo', token]);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), token);
});

test('a non-zero exit code of the container comes back from docker run', async () => {
  const r = await docker(['run', '--rm', '--name', uniqueName(), bed('BERTH_TEST_IMAGE'), 'sh', '-c', 'exit 7']);
  assert.is(r.code, 7);
});

test('the image has /etc/passwd with nobody (65534) and the busybox:latest tag exists', async () => {
  const id = await dockerOk(['run', '--rm', '--name', uniqueName(), '--user', 'nobody', 'busybox:latest', 'id', '-u']);
  assert.is(id, '65534');
});

test('a container publishing a host port answers over 127.0.0.1', async () => {
  const name = uniqueName();
  const token = randomToken();
  // `127.0.0.1::80`: docker picks a free host port, so parallel runs never collide.
  await dockerOk(['run', '-d', '--name', name, '-p', '127.0.0.1::80', bed('BERTH_TEST_IMAGE'),
    'sh', '-c', `mkdir -p /www && echo ${token} > /www/index.html && exec httpd -f -p 80 -h /www`]);
  const port = await publishedPort(name, '80/tcp');
  assert.ok(port > 0 && port < 65536, `port ${port}`);
  const body = await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/index.html`, { signal: AbortSignal.timeout(2_000) });
    if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
    return (await res.text()).trim();
  });
  assert.is(body, token);
});

test('the node base image runs this machine\'s node as nonroot (65532), with TLS roots and no shell', async () => {
  const image = bed('BERTH_TEST_NODE_BASE_IMAGE');
  const out = await dockerOk(['run', '--rm', '--name', uniqueName(), image, '-e',
    'const fs=require("fs");console.log(JSON.stringify({v:process.version,uid:process.getuid(),user:require("os").userInfo().username,ca:fs.existsSync("/etc/ssl/certs/ca-certificates.crt"),sh:fs.existsSync("/bin/sh"),tls:require("tls").rootCertificates.length>0}))']);
  // The bed builds the image from the `node` on PATH (this machine's), which is not this test's own
  // Node when the suite runs on another one (test/env/run-on-node.sh 24).
  const machineNode = execFileSync('node', ['--version'], { encoding: 'utf8' }).trim();
  assert.equal(JSON.parse(out), { v: machineNode, uid: 65532, user: 'nonroot', ca: true, sh: false, tls: true });
  assert.is((await dockerOk(['image', 'inspect', '-f', '{{.Id}}', 'berth-base/node:latest'])), await dockerOk(['image', 'inspect', '-f', '{{.Id}}', image]), ':latest is the same image');
});

test('the two test images differ (marker 1 vs 2)', async () => {
  const one = await dockerOk(['run', '--rm', '--name', uniqueName(), bed('BERTH_TEST_IMAGE'), 'cat', '/berth-image-version']);
  const two = await dockerOk(['run', '--rm', '--name', uniqueName(), bed('BERTH_TEST_IMAGE_2'), 'cat', '/berth-image-version']);
  assert.is(one, '1');
  assert.is(two, '2');
  const ids = await Promise.all([bed('BERTH_TEST_IMAGE'), bed('BERTH_TEST_IMAGE_2')]
    .map((ref) => dockerOk(['image', 'inspect', '--format', '{{.Id}}', ref])));
  assert.is.not(ids[0], ids[1]);
});

test.run();
