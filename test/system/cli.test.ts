// The operator CLI against a real directory-mode controller, a real agent and dockerd: get,
// describe, version, logs, plan (each case checked against what the controller then really does),
// completion, bare `berth`, and `berth controller`'s one-line start-up errors.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, until } from '../support/berth-env.js';
import { berth } from '../support/berth.js';
import { docker } from '../support/docker.js';
import { run } from '../support/kube.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const host = 'box';
const [a, b] = [env.name('a'), env.name('b')];
const proposed = mkdtempSync(join(tmpdir(), 'berth-plan-'));
const image1 = () => bed('BERTH_TEST_IMAGE');
const image2 = () => bed('BERTH_TEST_IMAGE_2');
const loop = (name: string, opts: { image?: string; mode?: string; state?: string; secret?: string } = {}) => `- name: ${name}
  image: ${opts.image ?? image1()}
  imagePullPolicy: IfNotPresent
  state: ${opts.state ?? 'Running'}
  env: [{ name: MODE, value: "${opts.mode ?? 'one'}" }${opts.secret ? `, { name: PASS, valueFrom: { secretKeyRef: { name: ${opts.secret}, key: pass } } }` : ''}]
  command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo ${name} line $i; sleep 0.2; done"]
  stopTimeoutSeconds: 1`;
const hostDoc = (containers: string[], extra = '') => env.hostYaml(host, `${extra}containers:\n${containers.join('\n')}`, false);
const tokenDoc = `apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: ${host}, namespace: ${env.namespace} }\nspec: { hostRef: { name: ${host} } }\n`;
const secretDoc = (value: string) => `apiVersion: v1\nkind: Secret\nmetadata: { name: creds, namespace: ${env.namespace} }\nstringData: { pass: "${value}" }\n`;
const srv = () => ['--server', env.url];
/** `berth ARGS` with Node's own warnings (e.g. about NO_COLOR) dropped from stderr. */
const berthClean = async (args: string[]) => {
  const r = await berth(args);
  return { ...r, stderr: r.stderr.split('\n').filter((l) => !/^\(node:\d+\) |^\(Use `node /.test(l)).join('\n') };
};
const cli = (args: string[]) => berthClean([...args, ...srv()]);
/** A port nothing listens on (bound, then released). */
const closedPort = () => new Promise<number>((resolve) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); }); });
const id = async (name: string) => (await docker(['inspect', '-f', '{{.Id}}', name])).stdout.trim();

/** `berth plan` on PROPOSED holding these documents. */
async function plan(docs: string[]): Promise<{ code: number; out: string; json: { hosts: Array<{ changes: Array<{ kind: string; container: string; detail: string }>; notes: string[] }> } }> {
  rmSync(proposed, { recursive: true, force: true });
  mkdirSync(proposed);
  writeFileSync(join(proposed, 'host.yaml'), docs.join('---\n'));
  const text = await cli(['plan', proposed]);
  const json = await cli(['plan', proposed, '-o', 'json']);
  assert.is(json.code, text.code, 'the JSON plan exits as the text plan');
  return { code: text.code, out: text.stdout + text.stderr, json: JSON.parse(json.stdout) };
}
const kinds = (p: Awaited<ReturnType<typeof plan>>) => p.json.hosts[0]!.changes.map((c) => `${c.kind} ${c.container}`).sort();

/** Make PROPOSED the live manifests and wait until the controller converged on them. */
async function apply(docs: string[]): Promise<void> {
  env.write('box.yaml', [...docs, tokenDoc].join('---\n'));
  // Without the Secrets the plan takes the controller's (keyed) hashes: exact once converged.
  const declared = docs.filter((d) => !/^kind: Secret$/m.test(d));
  await until('the controller converged (plan says no changes)', async () => (await plan(declared)).code === 0 || undefined, 60_000, 500);
}

test.before(async () => {
  env.write('box.yaml', [hostDoc([loop(a)]), tokenDoc].join('---\n'));
  await env.startController();
  await env.startAgent(host);
  await env.waitReady(host);
});
test.after(async () => { await env.cleanup(); rmSync(proposed, { recursive: true, force: true }); });

test('bare berth prints help and exits 0; --version prints the version', async () => {
  const bare = await berth([]);
  assert.is(bare.code, 0);
  for (const verb of ['get', 'describe', 'logs', 'plan', 'version', 'completion']) assert.match(bare.stdout, new RegExp(`\\n  ${verb} `));
  const v = await berth(['--version']);
  assert.is(v.code, 0);
  assert.match(v.stdout.trim(), /^\d+\.\d+\.\d+/);
  for (const verb of ['get', 'describe', 'logs', 'plan', 'version', 'completion']) {
    const h = await berth([verb, '--help']);
    assert.is(h.code, 0, verb);
    assert.match(h.stdout, new RegExp(`^Usage: berth ${verb}`), verb);
  }
});

test('get hosts / tokens: the CRD printer columns; -o wide, json, yaml; -n filters', async () => {
  const t = await cli(['get', 'hosts']);
  assert.is(t.code, 0, t.stderr);
  const [header, ...rows] = t.stdout.trim().split('\n');
  assert.match(header!, /^NAMESPACE\s+NAME\s+AGENT\s+READY\s+SYNCED\s+AGE$/);
  const row = rows.find((r) => r.startsWith(`${env.namespace} `));
  assert.match(row!, new RegExp(`^${env.namespace}\\s+${host}\\s+True\\s+1/1\\s+True\\s+\\d+s$`));
  const wide = await cli(['get', 'hosts', '-n', env.namespace, '-o', 'wide']);
  assert.match(wide.stdout, /^NAME\s+AGENT\s+READY\s+SYNCED\s+AGE\s+HOSTNAME\s+AGENT-VERSION\n/);
  assert.match(wide.stdout, /\d+\.\d+\.\d+\s*$/);
  const json = JSON.parse((await cli(['get', 'hosts', '-n', env.namespace, '-o', 'json'])).stdout);
  assert.is(json.kind, 'List');
  assert.equal(json.items.map((i: { metadata: { name: string } }) => i.metadata.name), [host]);
  const yaml = await cli(['get', 'host', host, '-n', env.namespace, '-o', 'yaml']);
  assert.match(yaml.stdout, /^apiVersion: berth.dev\/v1alpha1\nkind: ContainerHost\n/);
  const tokens = await cli(['get', 'tokens', '-n', env.namespace]);
  assert.match(tokens.stdout, /^NAME\s+HOST\s+READY\s+EXPIRES\s+LAST-USED\s+AGE\n/);
  assert.match(tokens.stdout, new RegExp(`\\n${host}\\s+${host}\\s+True\\s`));
  const none = await cli(['get', 'hosts', '-n', 'no-such-ns']);
  assert.is(none.code, 0);
  assert.match(none.stderr, /No resources found in no-such-ns namespace/);
  const missing = await cli(['get', 'host', 'nope', '-n', env.namespace]);
  assert.is(missing.code, 1);
});

test('describe host: spec summary, agent, conditions, containers, events', async () => {
  const r = await cli(['describe', 'host', `${env.namespace}/${host}`]);
  assert.is(r.code, 0, r.stderr);
  for (const part of [`Name:            ${host}`, 'Removal policy:  Delete', 'Connected since', 'Declared containers:', 'Conditions:', 'Containers:', 'Events:']) assert.ok(r.stdout.includes(part), part);
  assert.match(r.stdout, /Ready\s+True\s/);
  assert.match(r.stdout, new RegExp(`${a}\\s+Running\\s+true`));
  assert.match(r.stdout, /Normal\s+\w+\s+\d+[smhd]\S*\s/, 'at least one event, with its age');
  const nf = await cli(['describe', 'host', `${env.namespace}/nope`]);
  assert.is(nf.code, 1);
  assert.match(nf.stderr, /^berth describe: ContainerHost .*\/nope not found\n$/);
});

test('version: client and server; an unreachable server is one line and exit 1', async () => {
  const r = await cli(['version']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Client Version: \d+\.\d+\.\d+\nServer Version: \d+\.\d+\.\d+ \(http:\/\/127\.0\.0\.1:\d+\)\n$/);
  const port = await closedPort();
  const down = await berthClean(['version', '--server', `http://127.0.0.1:${port}`]);
  assert.is(down.code, 1);
  assert.match(down.stdout, /^Client Version: /);
  assert.match(down.stderr, new RegExp(`^berth version: cannot reach the controller at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`));
  assert.is(down.stderr.trim().split('\n').length, 1);
});

test('logs: --tail, --timestamps, --since, -f', async () => {
  const tail = await cli(['logs', `${env.namespace}/${host}`, a, '--tail', '3']);
  assert.is(tail.code, 0, tail.stderr);
  const lines = tail.stdout.trim().split('\n');
  assert.is(lines.length, 3, tail.stdout);
  for (const l of lines) assert.match(l, new RegExp(`^${a} line \\d+$`));
  const ts = await cli(['logs', `${env.namespace}/${host}`, a, '--tail', '2', '--timestamps']);
  for (const l of ts.stdout.trim().split('\n')) assert.match(l, /^\d{4}-\d\d-\d\dT\S+Z .+ line \d+$/);
  const since = await cli(['logs', `${env.namespace}/${host}`, a, '--since', '1s']);
  const n = since.stdout.trim().split('\n').length;
  assert.ok(n >= 1 && n <= 12, `--since 1s: ${n} lines of a 5-per-second stream`);
  // -f keeps printing: read until a line numbered past the last one seen, then interrupt.
  const last = Number(/line (\d+)$/.exec(lines[2]!)![1]);
  const { spawn } = await import('node:child_process');
  const { repoRoot } = await import('../support/paths.js');
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), 'logs', `${env.namespace}/${host}`, a, '-f', '--tail', '0', ...srv()]);
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  await until('a new line on -f', () => [...out.matchAll(/line (\d+)/g)].some((m) => Number(m[1]) > last + 3) || undefined, 20_000);
  const code = await new Promise<number | null>((resolve) => { child.once('exit', (c) => resolve(c)); child.kill('SIGINT'); });
  assert.is(code, 0);
  const bad = await cli(['logs', `${env.namespace}/${host}`, 'nope']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /container nope is not declared/);
});

test('plan: no change exits 0', async () => {
  const p = await plan([hostDoc([loop(a)])]);
  assert.is(p.code, 0, p.out);
  assert.match(p.out, /no changes/);
});

test('plan: add → create (exit 2), and the controller then creates it', async () => {
  const docs = [hostDoc([loop(a), loop(b)])];
  const p = await plan(docs);
  assert.is(p.code, 2, p.out);
  assert.equal(kinds(p), [`create ${b}`]);
  assert.match(p.out, new RegExp(`\\+ create\\s+${b}`));
  await apply(docs);
  assert.ok(await id(b));
});

test('plan: change image → recreate naming the field; the controller recreates exactly that one', async () => {
  const docs = [hostDoc([loop(a, { image: image2() }), loop(b)])];
  const p = await plan(docs);
  assert.is(p.code, 2, p.out);
  assert.equal(kinds(p), [`recreate ${a}`]);
  assert.ok(p.json.hosts[0]!.changes[0]!.detail.includes(`image ${image1()} → ${image2()}`), p.out);
  const [beforeA, beforeB] = [await id(a), await id(b)];
  await apply(docs);
  assert.is.not(await id(a), beforeA);
  assert.is(await id(b), beforeB);
});

test('plan: change env → recreate "env MODE changed"; a state change → stop, not recreate', async () => {
  const env1 = await plan([hostDoc([loop(a, { image: image2() }), loop(b, { mode: 'two' })])]);
  assert.equal(kinds(env1), [`recreate ${b}`]);
  assert.match(env1.out, /env MODE changed/);
  const stop = await plan([hostDoc([loop(a, { image: image2() }), loop(b, { state: 'Stopped' })])]);
  assert.equal(kinds(stop), [`stop ${b}`]);
});

test('plan: remove with removalPolicy Delete → remove; with Orphan → orphan (left as it is)', async () => {
  const del = await plan([hostDoc([loop(a, { image: image2() })])]);
  assert.equal(kinds(del), [`remove ${b}`]);
  const orphan = await plan([hostDoc([loop(a, { image: image2() })], 'removalPolicy: Orphan\n')]);
  assert.is(orphan.code, 2);
  assert.equal(kinds(orphan), [`orphan ${b}`]);
  assert.match(orphan.out, /left as it is \(removalPolicy Orphan\)/);
});

test('plan: a paused host plans nothing (exit 0, says why)', async () => {
  const p = await plan([hostDoc([loop(a), loop(b, { mode: 'x' })], 'paused: true\n')]);
  assert.is(p.code, 0, p.out);
  assert.equal(kinds(p), []);
  assert.match(p.out, /spec.paused is true/);
});

test('plan: Secrets — a changed declaration is exact, an unchanged one "may change" only by its keyed Secret value, unresolved left alone', async () => {
  const withSecret = [hostDoc([loop(a, { image: image2() }), loop(b, { secret: 'creds' })]), secretDoc('s3cret')];
  const p1 = await plan(withSecret);
  assert.equal(kinds(p1), [`recreate ${b}`]);
  assert.not.match(p1.out, /s3cret/);
  await apply(withSecret);
  // The Secret in the files, the declaration unchanged: its value enters the hash keyed (HMAC),
  // which only the controller can compute — plan says what it cannot know instead of guessing.
  const keyed = await plan(withSecret);
  assert.is(keyed.code, 2, keyed.out);
  assert.equal(kinds(keyed), [`may-change ${b}`]);
  assert.match(keyed.out, new RegExp(`value of Secret ${env.namespace}/creds differs from the live one: only the controller can hash it`));
  assert.not.match(keyed.out, /s3cret/);
  // Same declaration, Secret not among the files: the controller's own hash decides — no change.
  const same = await plan([hostDoc([loop(a, { image: image2() }), loop(b, { secret: 'creds' })])]);
  assert.is(same.code, 0, same.out);
  // Changed declaration, Secret unseen: plan cannot know the hash.
  const changed = await plan([hostDoc([loop(a, { image: image2() }), loop(b, { secret: 'creds', mode: 'three' })])]);
  assert.is(changed.code, 2);
  assert.equal(kinds(changed), [`may-change ${b}`]);
  assert.match(changed.out, new RegExp(`may be recreated: depends on Secret ${env.namespace}/creds`));
  // A Secret that does not exist: live, the container is unresolved and left alone; plan says so.
  const missing = [hostDoc([loop(a, { image: image2() }), loop(b, { secret: 'nosuch' })])];
  env.write('box.yaml', [...missing, tokenDoc].join('---\n'));
  await env.waitHost(host, 'b unresolved', (h) => h.status.conditions?.some((c) => /SecretNotFound/.test(`${c.reason} ${c.message}`)) || undefined);
  const unresolved = await plan(missing);
  assert.is(unresolved.code, 0, unresolved.out);
  assert.match(unresolved.out, new RegExp(`${b}: unresolved .*Secret ${env.namespace}/nosuch`));
});

test('plan: invalid manifests and an unreachable controller exit 1', async () => {
  writeFileSync(join(proposed, 'host.yaml'), env.hostYaml(host, 'containers:\n- name: BAD\n  image: x\n', false));
  const bad = await cli(['plan', proposed]);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /the manifests are not valid/);
  writeFileSync(join(proposed, 'host.yaml'), hostDoc([loop(a)]));
  const down = await berthClean(['plan', proposed, '--server', `http://127.0.0.1:${await closedPort()}`]);
  assert.is(down.code, 1);
  assert.match(down.stderr, /cannot reach the controller/);
});

test('completion: bash and zsh scripts name every verb; bash parses it', async () => {
  const sh = await berth(['completion', 'bash']);
  assert.is(sh.code, 0);
  for (const verb of ['get', 'describe', 'logs', 'plan', 'version']) assert.ok(sh.stdout.includes(verb));
  const parsed = await run('bash', ['-n'], { input: sh.stdout });
  assert.is(parsed.code, 0, parsed.stderr);
  const words = await run('bash', ['-c', `${sh.stdout}\nCOMP_WORDS=(berth ge); COMP_CWORD=1; _berth; echo "\${COMPREPLY[@]}"`]);
  assert.is(words.stdout.trim(), 'get');
  const z = await berth(['completion', 'zsh']);
  assert.match(z.stdout, /^#compdef berth\n/);
});

test('berth controller: a port in use is one line and exit 1, no stack trace', async () => {
  const holder: Server = createServer();
  const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
  try {
    const r = await berthClean(['controller', '--dir', env.manifests, '--state', join(env.root, 'state2'), '--listen', `127.0.0.1:${port}`, '--log-level', 'error']);
    assert.is(r.code, 1);
    assert.is(r.stderr, `berth controller: cannot start: --listen 127.0.0.1:${port}: the address is already in use (another controller or \`berth up\`?); choose another with --listen\n`);
    assert.not.match(r.stderr + r.stdout, /\n\s+at /);
  } finally { holder.close(); }
});

test.run();
