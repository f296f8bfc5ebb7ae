// examples/apps/web-pair as a user runs it (`berth up --dir examples/apps/web-pair`): the client
// prints the page the ConfigMap holds, fetched by alias over the managed network once the server is
// healthy. The example is copied with its names made unique (container and network names are
// global on the Docker host), nothing else changed.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const id = randomBytes(3).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'berth-example-app-'));
const [web, client, net] = [`x${id}-web-pair-web`, `x${id}-web-pair-client`, `x${id}-web-pair`];

test.after(async () => {
  await docker(['rm', '-f', web, client]);
  const vols = (await docker(['volume', 'ls', '-q', '--filter', `name=x${id}-`])).stdout.trim().split('\n').filter(Boolean);
  if (vols.length) await docker(['volume', 'rm', '-f', ...vols]);
  await docker(['network', 'rm', net]);
  rmSync(root, { recursive: true, force: true });
});

test('berth up runs examples/apps/web-pair: the client prints the ConfigMap page from the healthy server', async () => {
  mkdirSync(join(root, 'manifests'));
  const dir = join(repoRoot, 'examples/apps/web-pair');
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8')
      .replace(/\bweb-pair-(web|client)\b/g, `x${id}-web-pair-$1`)
      .replace(/name: web-pair$/gm, `name: x${id}-web-pair`)
      .replace(/\{ name: web-pair([ ,])/g, `{ name: x${id}-web-pair$1`)
      .replace(/namespace: default/g, `namespace: ex-${id}`);
    writeFileSync(join(root, 'manifests', f), text);
  }
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), 'up', '--dir', join(root, 'manifests'), '--state', join(root, 'state'), '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
  try {
    const url = await until('the URL line', () => /status:\s+(http:\/\/[^/\s]+)/.exec(out)?.[1], 30_000);
    const page = await until('the client printing the page', async () => {
      const logs = (await docker(['logs', client])).stdout;
      return logs.includes('hello from a ConfigMap') ? logs : undefined;
    }, 90_000);
    assert.match(page, '<h1>hello from a ConfigMap, delivered by Berth</h1>');
    const host = await until('Ready', async () => {
      const h = await (await fetch(`${url}/api/v1/hosts/ex-${id}/x${id}-web-pair`)).json() as { status: { ready?: string; conditions?: Array<{ type: string; status: string }> } };
      return h.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? h : undefined;
    }, 60_000);
    assert.is(host.status.ready, '2/2');
    assert.is((await docker(['network', 'inspect', '-f', '{{index .Labels "berth.dev/managed"}}', net])).stdout.trim(), 'true');
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 500));
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

test.run();
