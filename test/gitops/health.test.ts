// GitOps tools judging live ContainerHosts. A real controller (Kubernetes mode) and a real agent on
// the bed's dockerd drive one host through each scenario; after each, the object as the apiserver
// serves it is read with kubectl and judged by the bed's builds of the real libraries:
//   kstatus (sigs.k8s.io/cli-utils) → Current / InProgress / Failed
//   the shipped Argo CD health script, in gopher-lua set up as Argo CD does → Healthy / Progressing / Degraded
//   the shipped Flux healthCheckExprs, in cel-go with Flux's environment and order → Current / InProgress / Failed
// Scenarios change the spec (a new generation each) and use a new container name each time, so one
// scenario's retry backoff never delays the next.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { cleanup, docker, dockerOk, uniqueName } from '../support/docker.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, clusterAdminKubeconfig, fenceYaml, kubectl, run, waitFenced } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { gitopsTools } from '../support/gitops.js';
import { bed } from '../support/testbed.js';

const HEALTH = join(repoRoot, 'examples/health-checks');
const LUA = join(HEALTH, 'argocd/containerhost-health.lua');
const tmp = mkdtempSync(join(tmpdir(), 'berth-gitops-'));
const logs: string[] = [];
let ns = '';
let unwatched = '';
let systemNs = '';
let controller: ChildProcess | undefined;
let agent: ChildProcess | undefined;
let controllerUrl = '';

interface Verdict { status: string; message?: string }
interface Judged { kstatus: Verdict; lua: Verdict; cel: Verdict }
type Obj = { metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: Array<{ type: string; status: string; reason: string; message: string; observedGeneration?: number }> } };

/** The Flux expressions as shipped (flux/kustomization.yaml), for ContainerHost. */
function fluxExprs(): { current: string; inProgress: string; failed: string } {
  const k = YAML.parse(readFileSync(join(HEALTH, 'flux/kustomization.yaml'), 'utf8')) as { spec: { healthCheckExprs: Array<{ apiVersion: string; kind: string; current: string; inProgress: string; failed: string }> } };
  const e = k.spec.healthCheckExprs.find((x) => x.apiVersion === 'berth.dev/v1alpha1' && x.kind === 'ContainerHost');
  if (!e) throw new Error('flux/kustomization.yaml has no healthCheckExprs entry for ContainerHost');
  return e;
}

async function tool(bin: string, args: string[], input: string): Promise<Verdict> {
  const r = await run(bin, args, { input, timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Verdict;
}

/** The object exactly as the apiserver serves it, judged by the three tools. */
async function judge(namespace: string, name: string): Promise<Judged & { obj: Obj }> {
  const json = (await kubectl(['-n', namespace, 'get', 'containerhost', name, '-o', 'json'], { check: true })).stdout;
  const e = fluxExprs();
  const t = await gitopsTools();
  const [kstatus, lua, cel] = await Promise.all([
    tool(t.kstatus, [], json),
    tool(t.lua, [LUA], json),
    tool(t.cel, ['-current', e.current, '-inProgress', e.inProgress, '-failed', e.failed], json),
  ]);
  return { kstatus, lua, cel, obj: JSON.parse(json) as Obj };
}

const cond = (o: Obj, type: string) => o.status?.conditions?.find((c) => c.type === type);

/** Wait until the controller has written status for the current generation and PROBE holds. */
async function settle(what: string, probe: (o: Obj) => boolean, timeoutMs = 60_000): Promise<Judged & { obj: Obj }> {
  try {
    return await until(what, async () => {
      const j = await judge(ns, 'box');
      return j.obj.status?.observedGeneration === j.obj.metadata.generation && probe(j.obj) ? j : undefined;
    }, timeoutMs, 300);
  } catch (err) {
    const j = await judge(ns, 'box').catch((e: Error) => e);
    throw new Error(`${(err as Error).message}\nlast: ${j instanceof Error ? j.message : JSON.stringify({ conditions: j.obj.status?.conditions, kstatus: j.kstatus, lua: j.lua, cel: j.cel })}\n${logs.join('').slice(-3000)}`);
  }
}

const expectVerdicts = (j: Judged, kstatus: string, lua: string, cel: string) => {
  assert.is(j.kstatus.status, kstatus, `kstatus: ${JSON.stringify(j.kstatus)}`);
  assert.is(j.lua.status, lua, `Argo CD Lua: ${JSON.stringify(j.lua)}`);
  assert.is(j.cel.status, cel, `Flux CEL: ${JSON.stringify(j.cel)}`);
};

const expectStalled = async (reason: string) => {
  const j = await settle(`Stalled ${reason}`, (o) => cond(o, 'Stalled')?.status === 'True' && cond(o, 'Stalled')?.reason === reason);
  expectVerdicts(j, 'Failed', 'Degraded', 'Failed');
  assert.is(cond(j.obj, 'Reconciling')?.status, 'False', 'never Reconciling and Stalled at once');
  assert.match(j.lua.message ?? '', reason);
  for (const c of j.obj.status!.conditions!) assert.is(c.observedGeneration, j.obj.metadata.generation, `${c.type} observedGeneration`);
  return j;
};

function spawnBerth(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (c: Buffer) => { logs.push(c.toString()); if (logs.length > 3000) logs.splice(0, 1500); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

/**
 * The bed is shared: other tests run controllers that watch every namespace as the bed's `admin`
 * (test/kube/mode.test.ts does) and would write these hosts' status too. A ValidatingAdmissionPolicy
 * refuses `admin`'s writes to Berth objects and Secrets in this test's namespaces; this test writes
 * there as another system:masters identity (impersonation), its controller as a ServiceAccount.
 */
const AS_TEST = ['--as=berth-gitops-test', '--as-group=system:masters'];
const fenceName = `berth-test-gitops-${randomBytes(4).toString('hex')}`;
const asTest = (args: string[], input?: string) => kubectl([...AS_TEST, ...args], { check: true, ...(input === undefined ? {} : { input }) });
const applyAsTest = (yaml: string) => asTest(['apply', '-f', '-'], yaml);

async function fence(namespaces: string[]): Promise<void> {
  await applyYaml(fenceYaml({ name: fenceName, operator: 'In', namespaces, user: 'admin', message: 'this namespace belongs to test/gitops/health.test.ts; another Berth controller must not write here' }));
  await waitFenced(namespaces[0]!, /belongs to test\/gitops/);
}

/** A kubeconfig for a cluster-admin ServiceAccount in the controller namespace (not `admin`, so the fence lets it write). */
const controllerKubeconfig = () => clusterAdminKubeconfig(systemNs, 'controller', fenceName, join(tmp, 'controller.kubeconfig'));

const container = (name: string, extra: Record<string, unknown> = {}) => ({ name, image: bed('BERTH_TEST_IMAGE'), imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'], ...extra });

/** Replace the host's containers (and policy / pull secrets) with a merge patch: one new generation. */
async function declare(spec: Record<string, unknown>): Promise<void> {
  await asTest(['-n', ns, 'patch', 'containerhost', 'box', '--type=merge', '-p', JSON.stringify({ spec })]);
}

test.before(async () => {
  await gitopsTools();
  await installCrds();
  ns = await createTestNamespace('berth-t-gitops');
  unwatched = await createTestNamespace('berth-t-gitops-off');
  systemNs = await createTestNamespace('berth-t-gitops-sys');
  await fence([ns, unwatched]);
  // Watching only its own namespace: this controller never touches other tests' hosts.
  controller = spawnBerth(['controller', '--kube', '--kubeconfig', await controllerKubeconfig(), '--namespace', ns, '--controller-namespace', systemNs,
    '--listen', '127.0.0.1:0', '--agent-url', 'ws://127.0.0.1:9/', '--log-level', 'info']);
  controllerUrl = await until('the controller serves', () => /"url":"(http:\/\/[^"]+)"/.exec(logs.join(''))?.[1], 30_000);
});

test.after(async () => {
  for (const p of [agent, controller]) if (p && p.exitCode === null) p.kill('SIGKILL');
  await cleanup();
  await docker(['rm', '-f', ...['c-ready', 'c-starting', 'c-never', 'c-policy', 'c-auth', 'c-absent', 'c-port', 'c-secret', 'c-back'].map((n) => `${ns}-${n}`)]);
  await kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy,clusterrolebinding', fenceName, '--ignore-not-found']);
  for (const n of [ns, unwatched, systemNs]) if (n) await deleteTestNamespace(n);
  rmSync(tmp, { recursive: true, force: true });
});

test('the shipped Argo CD script is the same in the .lua file, argocd-cm.yaml and the Helm values', () => {
  const script = readFileSync(LUA, 'utf8');
  const cm = YAML.parse(readFileSync(join(HEALTH, 'argocd/argocd-cm.yaml'), 'utf8')) as { data: Record<string, string> };
  const values = YAML.parse(readFileSync(join(HEALTH, 'argocd/values.yaml'), 'utf8')) as { configs: { cm: Record<string, string> } };
  assert.is(cm.data['resource.customizations.health.berth.dev_ContainerHost'], script);
  assert.is(values.configs.cm['resource.customizations.health.berth.dev_ContainerHost'], script);
});

test('new: a host no controller has looked at is InProgress / Progressing, never Current', async () => {
  await applyAsTest(`apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: fresh, namespace: ${unwatched} }\nspec:\n  containers: [{ name: a, image: busybox:1 }]\n`);
  const j = await judge(unwatched, 'fresh');
  assert.is(j.obj.status?.observedGeneration, 0, 'the CRD default, before any controller wrote status');
  assert.is(j.obj.status?.conditions, undefined);
  expectVerdicts(j, 'InProgress', 'Progressing', 'InProgress');
});

test('first status: written at once, Reconciling (waiting for an agent)', async () => {
  await applyAsTest(`apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: box, namespace: ${ns} }
spec:
  containers: [${JSON.stringify(container(`${ns}-c-starting`, { healthcheck: { exec: ['true'], intervalSeconds: 3600, startPeriodSeconds: 3600 } }))}]
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: box, namespace: ${ns} }
spec: { hostRef: { name: box } }
`);
  const j = await settle('the first status', (o) => cond(o, 'Reconciling')?.status === 'True', 15_000);
  assert.is(cond(j.obj, 'Reconciling')?.reason, 'WaitingForAgent');
  expectVerdicts(j, 'InProgress', 'Progressing', 'InProgress');
});

test('converging: the agent connects, the container runs but its healthcheck is still starting', async () => {
  const secret = await until('the token Secret', async () => {
    const r = await kubectl(['-n', ns, 'get', 'secret', 'box-agent-token', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) as { data: Record<string, string> } : undefined;
  }, 30_000);
  const tokenFile = join(tmp, 'token');
  writeFileSync(tokenFile, Buffer.from(secret.data.token!, 'base64'), { mode: 0o600 });
  agent = spawnBerth(['agent', '--url', controllerUrl, '--token-file', tokenFile]);
  const j = await settle('running, health starting', (o) => cond(o, 'AgentConnected')?.status === 'True' && cond(o, 'Reconciling')?.reason === 'ContainersNotReady');
  expectVerdicts(j, 'InProgress', 'Progressing', 'InProgress');
});

test('Ready: Current / Healthy / Current', async () => {
  await declare({ containers: [container(`${ns}-c-ready`)] });
  const j = await settle('Ready', (o) => cond(o, 'Ready')?.status === 'True');
  expectVerdicts(j, 'Current', 'Healthy', 'Current');
  assert.is(cond(j.obj, 'Reconciling')?.status, 'False');
  assert.is(cond(j.obj, 'Stalled')?.status, 'False');
});

test('Stalled ImageNotPresent: an absent image with imagePullPolicy Never', async () => {
  await declare({ containers: [container(`${ns}-c-never`, { image: `berth-test/absent-${ns}:1`, imagePullPolicy: 'Never' })] });
  await expectStalled('ImageNotPresent');
});

test('Stalled NameConflict: the name is held by a container Berth does not manage', async () => {
  const held = uniqueName();
  await dockerOk(['run', '-d', '--name', held, bed('BERTH_TEST_IMAGE'), 'sleep', '3600']);
  await declare({ containers: [container(held)] });
  await expectStalled('NameConflict');
  assert.is((await docker(['inspect', '-f', '{{.State.Running}}', held])).stdout.trim(), 'true', 'the unmanaged container is untouched');
});

test('Stalled PolicyRefused: a bind mount that resolves outside the allowed host paths', async () => {
  const allowed = join(tmp, 'allowed');
  mkdirSync(allowed);
  symlinkSync('/etc', join(allowed, 'escape'));
  await declare({ policy: { allowedHostPaths: [allowed] }, containers: [container(`${ns}-c-policy`, { volumes: [{ hostPath: join(allowed, 'escape'), mountPath: '/x', readOnly: true }] })] });
  await expectStalled('PolicyRefused');
});

test('Stalled RegistryAuthFailed: wrong credentials for the bed registry', async () => {
  const registry = bed('BERTH_TEST_REGISTRY');
  const config = { auths: { [registry]: { username: bed('BERTH_TEST_REGISTRY_USER'), password: 'not-the-password', auth: Buffer.from(`${bed('BERTH_TEST_REGISTRY_USER')}:not-the-password`).toString('base64') } } };
  await applyAsTest(`apiVersion: v1\nkind: Secret\nmetadata: { name: regcred, namespace: ${ns} }\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${Buffer.from(JSON.stringify(config)).toString('base64')}\n`);
  await declare({ imagePullSecrets: [{ name: 'regcred' }], containers: [container(`${ns}-c-auth`, { image: `${registry}/berth-test-gitops/img:1`, imagePullPolicy: 'Always' })] });
  await expectStalled('RegistryAuthFailed');
});

test('Stalled ImageNotFound: good credentials, but the bed registry has no such image', async () => {
  const registry = bed('BERTH_TEST_REGISTRY');
  const user = bed('BERTH_TEST_REGISTRY_USER');
  const password = bed('BERTH_TEST_REGISTRY_PASSWORD');
  const config = { auths: { [registry]: { username: user, password, auth: Buffer.from(`${user}:${password}`).toString('base64') } } };
  await applyAsTest(`apiVersion: v1\nkind: Secret\nmetadata: { name: regcred, namespace: ${ns} }\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: ${Buffer.from(JSON.stringify(config)).toString('base64')}\n`);
  await declare({ imagePullSecrets: [{ name: 'regcred' }], containers: [container(`${ns}-c-absent`, { image: `${registry}/berth-test-gitops-absent/img:1`, imagePullPolicy: 'Always' })] });
  await expectStalled('ImageNotFound');
});

test('Stalled PortInUse: the hostPort is published by a container Berth does not manage', async () => {
  const holder = uniqueName();
  const port = 20000 + Math.floor(Math.random() * 20000);
  await dockerOk(['run', '-d', '--name', holder, '-p', `${port}:80`, bed('BERTH_TEST_IMAGE'), 'sleep', '3600']);
  await declare({ imagePullSecrets: null, containers: [container(`${ns}-c-port`, { ports: [{ containerPort: 80, hostPort: port }] })] });
  await expectStalled('PortInUse');
});

test('Stalled SecretNotFound: env from a Secret that does not exist', async () => {
  await declare({ containers: [container(`${ns}-c-secret`, { env: [{ name: 'PW', valueFrom: { secretKeyRef: { name: 'nowhere', key: 'pw' } } }] })] });
  await expectStalled('SecretNotFound');
});

test('agent gone: back to Ready, then the agent is killed → InProgress / Progressing (it may come back)', async () => {
  await declare({ containers: [container(`${ns}-c-back`)] });
  await settle('Ready again', (o) => cond(o, 'Ready')?.status === 'True');
  agent!.kill('SIGKILL');
  const j = await settle('agent gone', (o) => cond(o, 'AgentConnected')?.status === 'False' && cond(o, 'Reconciling')?.reason === 'AgentDisconnected', 90_000);
  expectVerdicts(j, 'InProgress', 'Progressing', 'InProgress');
});

test.run();
