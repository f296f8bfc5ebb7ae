// The operator CLI against a real Kubernetes-mode controller (the bed's apiserver, TokenReview and
// SubjectAccessReview), a real agent and dockerd: the kubeconfig's bearer token (KUBECONFIG,
// --kubeconfig, token and tokenFile; exec plugins refused clearly), RBAC refusals as one line, get,
// describe, logs over the log socket, plan, version — and `berth controller`'s one-line error
// when the controller namespace is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { docker } from '../support/docker.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubeconfig, kubectl, kubeToken, run } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const id = randomBytes(3).toString('hex');
const [a, b] = [`k${id}-a`, `k${id}-b`];
const tmp = mkdtempSync(join(tmpdir(), 'berth-kcli-'));
const proposed = join(tmp, 'proposed');
let ns = '';
let systemNs = '';
let url = '';
const children: ChildProcess[] = [];
const output: string[] = [];

function spawnBerth(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (c: Buffer) => { output.push(c.toString()); if (output.length > 2000) output.splice(0, 1000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push(child);
  return child;
}

/** `berth ARGS` as a user with KUBECONFIG=CONFIG (no --kubeconfig), Node's warnings dropped. */
async function berthAs(config: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = await run(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args, '--server', url], { env: { ...process.env, KUBECONFIG: config, BERTH_SERVER: '' }, timeoutMs: 60_000 });
  return { ...r, stderr: r.stderr.split('\n').filter((l) => !/^\(node:\d+\) |^\(Use `node /.test(l)).join('\n') };
}
const admin = (args: string[]) => berthAs(kubeconfig('admin'), args);

const loop = (name: string, image = bed('BERTH_TEST_IMAGE'), secret = false) => `  - name: ${name}
    image: ${image}
    imagePullPolicy: IfNotPresent
    env: [{ name: MODE, value: one }${secret ? ', { name: PASS, valueFrom: { secretKeyRef: { name: creds, key: pass } } }' : ''}]
    command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo ${name} line $i; sleep 0.2; done"]
    stopTimeoutSeconds: 1`;
const hostYaml = (containers: string[]) => `apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: kbox, namespace: ${ns} }
spec:
  containers:
${containers.join('\n')}
`;

function userKubeconfig(name: string, user: string): string {
  const admin = readFileSync(kubeconfig('admin'), 'utf8');
  const clusters = /clusters:\n[\s\S]*?(?=\nusers:)/.exec(admin)![0];
  const file = join(tmp, `${name}.kubeconfig`);
  writeFileSync(file, `apiVersion: v1\nkind: Config\n${clusters}\nusers:\n- name: u\n  user:\n${user.replace(/^/gm, '    ')}\ncontexts:\n- name: c\n  context: { cluster: berth-test, user: u }\ncurrent-context: c\n`);
  return file;
}

async function plan(docs: string): Promise<{ code: number; out: string }> {
  rmSync(proposed, { recursive: true, force: true });
  mkdirSync(proposed);
  writeFileSync(join(proposed, 'host.yaml'), docs);
  const r = await admin(['plan', proposed]);
  return { code: r.code, out: r.stdout + r.stderr };
}

test.before(async () => {
  await installCrds();
  systemNs = await createTestNamespace('bkc-system');
  ns = await createTestNamespace('bkc');
  await applyYaml(`apiVersion: v1\nkind: Secret\nmetadata: { name: creds, namespace: ${ns} }\nstringData: { pass: kept-secret }\n`);
  await applyYaml(`${hostYaml([loop(a), loop(b, undefined, true)])}---\napiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: kbox, namespace: ${ns} }\nspec: { hostRef: { name: kbox } }\n`);
  const controller = spawnBerth(['controller', '--kube', '--kubeconfig', kubeconfig('admin'), '--namespace', ns, '--controller-namespace', systemNs, '--listen', '127.0.0.1:0', '--log-level', 'info']);
  url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    controller.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const m = /"url":"(http:\/\/[^"]+)"/.exec(buf); if (m) resolve(m[1]!); });
    controller.once('exit', (code) => reject(new Error(`controller exited ${code}:\n${output.join('').slice(-4000)}`)));
    setTimeout(() => reject(new Error(`controller did not start:\n${output.join('').slice(-4000)}`)), 30_000).unref();
  });
  // The bed's apiserver is shared: another test's controller watching every namespace may also
  // reconcile this AgentToken and write its own token into the Secret. The agent re-reads its token
  // file on every connect, so the file follows the Secret until the host is Ready.
  const tokenFile = join(tmp, 'agent-token');
  const copyToken = async () => {
    const r = await kubectl(['-n', ns, 'get', 'secret', 'kbox-agent-token', '-o', 'jsonpath={.data.token}']);
    if (r.code === 0 && r.stdout) { writeFileSync(tokenFile, Buffer.from(r.stdout, 'base64'), { mode: 0o600 }); return true; }
    return undefined;
  };
  await until('the token Secret', copyToken, 30_000);
  let ready = false;
  void (async () => { while (!ready) { await copyToken(); await new Promise((r) => setTimeout(r, 1000)); } })();
  spawnBerth(['agent', '--url', url.replace(/^http/, 'ws'), '--token-file', tokenFile]);
  const wait = await kubectl(['-n', ns, 'wait', '--for=condition=Ready', 'containerhost/kbox', '--timeout=120s'], { timeoutMs: 130_000 });
  ready = true;
  assert.is(wait.code, 0, `${wait.stderr}\n${output.join('').slice(-3000)}`);
});

test.after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await docker(['rm', '-f', a, b]);
  if (ns) { await kubectl(['-n', ns, 'patch', 'ch', 'kbox', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']); await deleteTestNamespace(ns); }
  if (systemNs) await deleteTestNamespace(systemNs);
  rmSync(tmp, { recursive: true, force: true });
});

test('get hosts with the KUBECONFIG token matches kubectl get containerhosts', async () => {
  const r = await admin(['get', 'hosts', '-n', ns]);
  assert.is(r.code, 0, r.stderr);
  const ours = r.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 4));
  const theirs = (await kubectl(['-n', ns, 'get', 'containerhosts'], { check: true })).stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 4));
  assert.equal(ours, theirs);
  assert.equal(ours[1], ['kbox', 'True', '2/2', 'True']);
  const tokens = await admin(['get', 'tokens', '-n', ns, '-o', 'wide']);
  assert.match(tokens.stdout, /SECRET\n/);
  assert.match(tokens.stdout, /kbox-agent-token\s*$/);
});

test('RBAC: no rights is one line and exit 1; a Role granting get lets the user read hosts and logs', async () => {
  const alice = kubeconfig('alice');
  const refused = await berthAs(alice, ['get', 'hosts', '-n', ns]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /^berth get: forbidden: alice may not get containerhosts/);
  assert.is(refused.stderr.trim().split('\n').length, 1);
  const observed = () => fetch(`${url}/api/v1/hosts/${ns}/kbox/observed`, { headers: { Authorization: `Bearer ${kubeToken('alice')}` } });
  assert.is((await observed()).status, 403, 'the planner input has the host\'s access rule');
  await applyYaml(`apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: { name: cli-read }\nrules:\n- { apiGroups: [berth.dev], resources: [containerhosts, containerhosts/logs], verbs: [get] }\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: { name: cli-read }\nroleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: cli-read }\nsubjects:\n- { apiGroup: rbac.authorization.k8s.io, kind: User, name: alice }\n`, { namespace: ns });
  // The controller caches decisions ~10 s.
  const allowed = await until('alice may list', async () => { const r = await berthAs(alice, ['get', 'hosts', '-n', ns]); return r.code === 0 ? r : undefined; }, 30_000, 1000);
  assert.match(allowed.stdout, /\nkbox\s+True/);
  const view = await (await observed()).json() as { canAct: boolean; containers: Array<{ name: string; specHash: string }>; desired: Array<{ name: string; specHash: string }> };
  assert.ok(view.canAct);
  assert.equal(view.containers.map((c) => c.name).sort(), [a, b].sort());
  assert.equal(view.desired.map((d) => d.specHash).sort(), view.containers.map((c) => c.specHash).sort(), 'converged: observed hashes are the desired ones');
  assert.not.match(JSON.stringify(view), /kept-secret/);
  const logs = await berthAs(alice, ['logs', `${ns}/kbox`, a, '--tail', '2']);
  assert.is(logs.code, 0, logs.stderr);
  assert.equal(logs.stdout.trim().split('\n').map((l) => l.replace(/\d+$/, 'N')), [`${a} line N`, `${a} line N`]);
});

test('kubeconfigs: tokenFile works, a bad token is 401, an exec plugin is refused clearly', async () => {
  const tokenPath = join(tmp, 'admin-token');
  writeFileSync(tokenPath, `${kubeToken('admin')}\n`);
  const viaFile = await berthAs(userKubeconfig('file', `tokenFile: ${tokenPath}`), ['describe', 'host', `${ns}/kbox`]);
  assert.is(viaFile.code, 0, viaFile.stderr);
  const bad = await berthAs(userKubeconfig('bad', 'token: not-a-real-token'), ['get', 'hosts']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /^berth get: unauthorized: /);
  const exec = await berthAs(userKubeconfig('exec', 'exec: { apiVersion: client.authentication.k8s.io/v1, command: some-plugin }'), ['get', 'hosts']);
  assert.is(exec.code, 1);
  assert.match(exec.stderr, /uses an exec credential plugin; berth reads only a bearer token \(user.token or user.tokenFile\)/);
  const none = await berthAs(join(tmp, 'missing.kubeconfig'), ['get', 'hosts']);
  assert.is(none.code, 1);
  assert.match(none.stderr, /asks for a Kubernetes bearer token, and cannot read kubeconfig .*missing.kubeconfig: no such file/);
});

test('describe host: conditions, containers and the Kubernetes Events', async () => {
  const r = await admin(['describe', 'host', `${ns}/kbox`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /Conditions:\n\s+TYPE\s+STATUS/);
  assert.match(r.stdout, new RegExp(`${b}\\s+Running\\s+true`));
  assert.match(r.stdout, /Events:\n\s+TYPE\s+REASON[\s\S]*AgentConnected/);
});

test('version and logs -f in Kubernetes mode', async () => {
  const v = await admin(['version']);
  assert.match(v.stdout, /^Client Version: \S+\nServer Version: \S+/);
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), 'logs', `${ns}/kbox`, b, '-f', '--tail', '1', '--server', url, '--kubeconfig', kubeconfig('admin')]);
  let out = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  await until('three lines followed', () => out.split('\n').filter((l) => l.startsWith(`${b} line`)).length >= 3 || undefined, 20_000);
  const code = await new Promise<number | null>((resolve) => { child.once('exit', (c) => resolve(c)); child.kill('SIGINT'); });
  assert.is(code, 0);
});

test('plan: unchanged (the Secret-backed container by the controller\'s hash) → 0; image change → recreate; changed secret container → may change', async () => {
  const same = await plan(hostYaml([loop(a), loop(b, undefined, true)]));
  assert.is(same.code, 0, same.out);
  const image = await plan(hostYaml([loop(a, bed('BERTH_TEST_IMAGE_2')), loop(b, undefined, true)]));
  assert.is(image.code, 2, image.out);
  assert.match(image.out, new RegExp(`~ recreate\\s+${a}\\s+image ${bed('BERTH_TEST_IMAGE')} → ${bed('BERTH_TEST_IMAGE_2')}`));
  assert.not.match(image.out, new RegExp(`${b}`));
  const secretSide = await plan(hostYaml([loop(a), loop(b, bed('BERTH_TEST_IMAGE_2'), true)]));
  assert.is(secretSide.code, 2);
  assert.match(secretSide.out, new RegExp(`\\? may-change\\s+${b}\\s+may be recreated: depends on Secret ${ns}/creds`));
  assert.not.match(secretSide.out, /kept-secret/);
});

test('berth controller --kube with a missing controller namespace: one line, exit 1', async () => {
  const r = await run(process.execPath, [join(repoRoot, 'bin/berth.js'), 'controller', '--kube', '--kubeconfig', kubeconfig('admin'), '--namespace', ns,
    '--controller-namespace', `missing-${id}`, '--listen', '127.0.0.1:0', '--log-level', 'error'], { timeoutMs: 60_000 });
  assert.is(r.code, 1);
  const lines = r.stderr.split('\n').filter((l) => l && !/^\(node:\d+\) |^\(Use `node /.test(l));
  assert.equal(lines, [`berth controller: cannot start: namespace "missing-${id}" does not exist: it is the controller namespace, where the signing key Secret berth-signing-key is kept — create it, or set --controller-namespace / POD_NAMESPACE to the namespace the controller runs in`]);
});

test.run();
