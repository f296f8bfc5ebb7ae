// An upgrade never recreates a container whose spec did not change. The previous release (a real
// build of it, test/support/previous-release.ts) runs examples/local with `berth up` until Ready and
// is stopped, leaving its containers running (as Ctrl-C does); this checkout's `berth up` then takes
// over the same manifests and the same state directory. Every container must be the same Docker
// container afterwards — same ID, same start time — and the host Ready again. One container takes an
// env value from a Secret: the previous release hashed it unkeyed, this one keys the hash with an
// HMAC (resolve.ts) — it must adopt the old hash rather than recreate, and show only the keyed one.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { repoRoot } from '../support/paths.js';
import { previousRelease, PREVIOUS_RELEASE } from '../support/previous-release.js';
import { bed } from '../support/testbed.js';

const id = randomBytes(3).toString('hex');
const root = mkdtempSync(join(tmpdir(), 'berth-upgrade-'));
const port = 35000 + Math.floor(Math.random() * 5000);
const names = ['clock', 'ticker', 'web', 'vault'].map((n) => `g${id}-${n}`);
const namespace = `upgrade-${id}`;
const children: ChildProcess[] = [];

test.after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await docker(['rm', '-f', ...names]);
  await docker(['volume', 'rm', '-f', `g${id}-berth-local-web`]);
  rmSync(root, { recursive: true, force: true });
});

/** Runs `berth up` from `packageDir` until its host is Ready; returns how to stop it (Ctrl-C). */
async function berthUp(packageDir: string): Promise<{ url: string; stop: () => Promise<string> }> {
  const child = spawn(process.execPath, [join(packageDir, 'bin/berth.js'), 'up', '--dir', join(root, 'manifests'), '--state', join(root, 'state'), '--listen', '127.0.0.1:0', '--log-level', 'info'], {
    env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await until(`${packageDir}: the URL line`, () => /status:\s+(http:\/\/[^/\s]+)/.exec(out)?.[1], 30_000);
  // On a timeout, say what the host was waiting for and what Berth last logged.
  let last = '';
  try {
    await until(`${packageDir}: host Ready`, async () => {
      const h = await (await fetch(`${url}/api/v1/hosts/${namespace}/local`)).json() as { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } };
      const ready = h.status?.conditions?.find((c) => c.type === 'Ready');
      last = `${ready?.reason ?? '?'}: ${ready?.message ?? ''}`;
      return ready?.status === 'True';
    }, 90_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  Ready: ${last}\n  last log lines:\n${out.trim().split('\n').slice(-15).join('\n')}`);
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGINT');
      assert.is(await exited, 0, out);
      return out;
    },
  };
}

async function containers(): Promise<Record<string, { id: string; startedAt: string; specHash: string }>> {
  const inspect = await docker(['inspect', '--format', '{{.Name}} {{.Id}} {{.State.StartedAt}} {{index .Config.Labels "berth.dev/spec-hash"}}', ...names]);
  assert.is(inspect.code, 0, inspect.stderr);
  return Object.fromEntries(inspect.stdout.trim().split('\n').map((line) => {
    const [name, cid, startedAt, specHash] = line.split(' ');
    return [name!.replace(/^\//, ''), { id: cid!, startedAt: startedAt!, specHash: specHash! }];
  }));
}

test(`containers created by the previous release (${PREVIOUS_RELEASE.slice(0, 7)}) are not recreated or restarted by this one`, async () => {
  const example = readFileSync(join(repoRoot, 'examples/local/host.yaml'), 'utf8')
    .replace(/- name: (clock|ticker|web)$/gm, `- name: g${id}-$1`)
    .replace('volume: berth-local-web', `volume: g${id}-berth-local-web`)
    .replace('hostPort: 18080', `hostPort: ${port}`)
    .replace(/namespace: default/g, `namespace: ${namespace}`);
  const vault = [
    `  - name: g${id}-vault`, '    image: busybox:latest', '    imagePullPolicy: IfNotPresent',
    '    command: ["sh", "-c", "sleep 3600"]', '    stopTimeoutSeconds: 1',
    '    env: [{ name: PASSWORD, valueFrom: { secretKeyRef: { name: vault, key: password } } }]',
  ].join('\n');
  const withVault = example.replace(/(\n---\napiVersion: berth.dev\/v1alpha1\nkind: AgentToken)/, `\n${vault}$1`);
  assert.ok(withVault.includes(`g${id}-vault`), 'the Secret-using container is in the manifest');
  const secret = `apiVersion: v1\nkind: Secret\nmetadata: { name: vault, namespace: ${namespace} }\nstringData: { password: hunter2 }\n`;
  mkdirSync(join(root, 'manifests'));
  writeFileSync(join(root, 'manifests', 'host.yaml'), withVault);
  writeFileSync(join(root, 'manifests', 'secret.yaml'), secret);

  const old = await berthUp(await previousRelease());
  // The probe used below must see applies: the first start created every container with one.
  assert.match(await old.stop(), /"action":"apply"/);
  const before = await containers();
  assert.equal(Object.keys(before).sort(), [...names].sort());

  const current = await berthUp(repoRoot);
  // Ready alone could be reached by recreating; give a recreate time to happen before comparing.
  await new Promise((r) => setTimeout(r, 2000));
  const after = await containers();
  const status = await (await fetch(`${current.url}/api/v1/hosts/${namespace}/local`)).json() as { status: { containers: Array<{ name: string; specHash?: string }> } };
  const out = await current.stop();
  assert.equal(after, before, 'a container was recreated or restarted by the upgrade');
  // The Secret-using container keeps its unkeyed label; status shows the keyed hash, never the unkeyed one.
  const shown = status.status.containers.find((c) => c.name === `g${id}-vault`)?.specHash;
  assert.ok(shown && shown !== before[`g${id}-vault`]!.specHash, `status shows the keyed hash (${shown}), not the unkeyed label (${before[`g${id}-vault`]!.specHash})`);
  for (const n of ['clock', 'ticker', 'web']) {
    assert.is(status.status.containers.find((c) => c.name === `g${id}-${n}`)?.specHash, before[`g${id}-${n}`]!.specHash, `${n}: no secret input, the same hash`);
  }
  assert.not.match(out, /"action":"apply"/, 'the new release dispatched an apply for an unchanged container');
});

test.run();
