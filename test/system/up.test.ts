// `berth up` — what the README's `npm start` runs — on examples/local: the controller and a local
// agent in one process reach Ready, print where they serve, and Ctrl-C (SIGINT) stops Berth while
// the containers keep running. The example is copied with its container names and host port made
// unique, so the test never collides with a Berth someone runs on the same Docker.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const id = randomBytes(3).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'berth-up-'));
const port = 30000 + Math.floor(Math.random() * 5000);
const names = ['clock', 'ticker', 'web'].map((n) => `u${id}-${n}`);

test.after(async () => {
  await docker(['rm', '-f', ...names]);
  await docker(['volume', 'rm', '-f', `u${id}-berth-local-web`]);
  rmSync(root, { recursive: true, force: true });
});

test('berth up runs examples/local to Ready, and Ctrl-C leaves the containers running', async () => {
  const example = readFileSync(join(repoRoot, 'examples/local/host.yaml'), 'utf8')
    .replace(/- name: (clock|ticker|web)$/gm, `- name: u${id}-$1`)
    .replace('volume: berth-local-web', `volume: u${id}-berth-local-web`)
    .replace('hostPort: 18080', `hostPort: ${port}`)
    .replace(/namespace: default/g, `namespace: up-${id}`);
  mkdirSync(join(root, 'manifests'));
  writeFileSync(join(root, 'manifests', 'host.yaml'), example);

  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), 'up', '--dir', join(root, 'manifests'), '--state', join(root, 'state'), '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const url = await until('the URL line', () => /status:\s+(http:\/\/[^/\s]+)/.exec(out)?.[1], 30_000);
    assert.match(out, `agent:      host up-${id}/local`);
    const host = await until('local Ready', async () => {
      const h = await (await fetch(`${url}/api/v1/hosts/up-${id}/local`)).json() as { status: { ready?: string; conditions?: Array<{ type: string; status: string }> } };
      return h.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? h : undefined;
    }, 90_000);
    assert.is(host.status.ready, '3/3');
    assert.is(await until('web answers', async () => (await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim()), '<h1>hello from berth</h1>');

    child.kill('SIGINT');
    assert.is(await exited, 0, out);
    assert.match(out, 'containers keep running');
    const running = (await docker(['ps', '--filter', `name=u${id}-`, '--format', '{{.Names}}'])).stdout.trim().split('\n').sort();
    assert.equal(running, [...names].sort());
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test.run();
