// `berth exec` and `berth restart` in Kubernetes mode against the bed's real apiserver, a real
// controller (--kube) and a real agent (--allow-exec) on the bed's dockerd. exec is authorized by
// SubjectAccessReview `create containerhosts/exec`: alice is refused until a Role grants it, then her
// exec runs and the Kubernetes Event names her and the command. restart patches the annotation with
// the user's own credentials (403 for a user without `patch containerhosts`) and the controller
// restarts the container once, in place.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { docker } from '../support/docker.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubeconfig, kubectl, run } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const tmp = mkdtempSync(join(tmpdir(), 'berth-ops-'));
const logs: string[] = [];
const children: ChildProcess[] = [];
let ns = '';
let systemNs = '';
let url = '';
const cname = `ops-${Math.random().toString(36).slice(2, 8)}`;
const berthJs = join(repoRoot, 'bin/berth.js');

function spawnBerth(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [berthJs, ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (c: Buffer) => { logs.push(c.toString()); if (logs.length > 3000) logs.splice(0, 1500); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push(child);
  return child;
}
const berth = (args: string[]) => run(process.execPath, [berthJs, ...args], { timeoutMs: 90_000 });
const inspect = async () => (JSON.parse((await docker(['inspect', cname])).stdout) as Array<{ Id: string; State: { StartedAt: string } }>)[0]!;
const events = async (reason: string) => {
  const r = await kubectl(['-n', ns, 'get', 'events', '--field-selector', `involvedObject.name=ops,reason=${reason}`, '-o', 'json'], { check: true });
  return (JSON.parse(r.stdout) as { items: Array<{ message: string }> }).items.map((e) => e.message);
};

test.before(async () => {
  await installCrds();
  ns = await createTestNamespace('berth-ops');
  systemNs = await createTestNamespace('berth-ops-sys');
  const controller = spawnBerth(['controller', '--kube', '--kubeconfig', kubeconfig('admin'), '--namespace', ns, '--controller-namespace', systemNs, '--listen', '127.0.0.1:0', '--log-level', 'info']);
  url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    controller.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const m = /"url":"(http:\/\/[^"]+)"/.exec(buf); if (m) resolve(m[1]!); });
    controller.once('exit', (code) => reject(new Error(`controller exited ${code}:\n${logs.join('').slice(-4000)}`)));
  });
  await applyYaml(`apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: ops, namespace: ${ns} }
spec:
  containers:
  - { name: ${cname}, image: ${bed('BERTH_TEST_IMAGE')}, imagePullPolicy: IfNotPresent, command: [sh, -c, "while true; do sleep 1; done"], stopTimeoutSeconds: 1 }
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: ops, namespace: ${ns} }
spec: { hostRef: { name: ops } }
`);
  const secret = await until('the token Secret', async () => {
    const r = await kubectl(['-n', ns, 'get', 'secret', 'ops-agent-token', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) as { data: Record<string, string> } : undefined;
  }, 30_000);
  writeFileSync(join(tmp, 'token'), Buffer.from(secret.data.token!, 'base64'), { mode: 0o600 });
  spawnBerth(['agent', '--url', url.replace(/^http/, 'ws'), '--token-file', join(tmp, 'token'), '--allow-exec']);
  const ready = await kubectl(['-n', ns, 'wait', '--for=condition=Ready', 'containerhost/ops', '--timeout=90s'], { timeoutMs: 100_000 });
  assert.is(ready.code, 0, ready.stderr + logs.join('').slice(-3000));
});

test.after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await kubectl(['-n', ns, 'patch', 'ch', 'ops', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await deleteTestNamespace(ns);
  await deleteTestNamespace(systemNs);
  await docker(['rm', '-f', cname]);
  rmSync(tmp, { recursive: true, force: true });
});

test('exec is refused without RBAC create containerhosts/exec, and runs once a Role grants it', async () => {
  const as = (user: 'alice' | 'admin') => ['--kube', '--kubeconfig', kubeconfig(user), '--server', url];
  const refused = await berth(['exec', `${ns}/ops`, cname, ...as('alice'), '--', 'echo', 'hi']);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /403 alice may not create containerhosts\/exec "ops" in the namespace/);
  // A viewer's `get containerhosts` is not enough either.
  await applyYaml(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: berth-exec, namespace: ${ns} }
rules:
- { apiGroups: [berth.dev], resources: [containerhosts], verbs: [get] }
- { apiGroups: [berth.dev], resources: [containerhosts/exec], verbs: [create] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: berth-exec, namespace: ${ns} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: berth-exec }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: alice }]
`);
  // The controller caches decisions ~10 s.
  const ok = await until('alice may exec', async () => { const r = await berth(['exec', `${ns}/ops`, cname, ...as('alice'), '--', 'sh', '-c', 'echo hi-alice; exit 4']); return r.code === 4 ? r : undefined; }, 30_000, 1000);
  assert.is(ok.stdout, 'hi-alice\n');
  const audit = await until('the Exec Event', async () => (await events('Exec')).find((m) => m.startsWith('alice ran in')), 20_000);
  assert.match(audit, new RegExp(`^alice ran in ${cname}: sh -c 'echo hi-alice; exit 4'$`));
  const stranger = await berth(['exec', `${ns}/ops`, cname, '--kube', '--kubeconfig', kubeconfig('bob'), '--server', url, '--', 'true']);
  assert.is(stranger.code, 1, 'bob still may not');
});

test('restart patches the annotation with the user\'s credentials; the container restarts once, in place', async () => {
  const denied = await berth(['restart', `${ns}/ops`, '--kube', '--kubeconfig', kubeconfig('bob')]);
  assert.is(denied.code, 1);
  assert.match(denied.stderr, /403/);
  const before = await inspect();
  const r = await berth(['restart', `${ns}/ops`, '--kubeconfig', kubeconfig('admin'), '--wait', '--timeout', '60']);
  assert.is(r.code, 0, r.stderr + logs.join('').slice(-3000));
  const host = JSON.parse((await kubectl(['-n', ns, 'get', 'ch', 'ops', '-o', 'json'], { check: true })).stdout) as { metadata: { annotations: Record<string, string> } };
  assert.is(host.metadata.annotations['berth.dev/restartedBy'], 'admin', 'SelfSubjectReview named the user');
  const at = host.metadata.annotations['berth.dev/restartedAt']!;
  // (status.containers[].restartedFor is asserted in test/system/restart.test.ts: the bed's
  // apiserver is shared, and a CRD applied meanwhile from an older checkout would prune it here.)
  assert.ok((await events('Restarted')).some((m) => m.includes(`restarted for the request of ${at}`)));
  const after = await inspect();
  assert.is(after.Id, before.Id);
  assert.ok(Date.parse(after.State.StartedAt) > Date.parse(before.State.StartedAt));
  const restarting = await until('the Restarting Event', async () => (await events('Restarting'))[0], 20_000);
  assert.match(restarting, new RegExp(`restart requested for ${at.replace(/[.]/g, '\\.')} by admin \\(berth.dev/restartedAt\\)`));
  await new Promise((res) => setTimeout(res, 3000));
  assert.is((await inspect()).State.StartedAt, after.State.StartedAt, 'once');
});

test.run();
