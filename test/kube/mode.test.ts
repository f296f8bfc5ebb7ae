// Kubernetes mode end to end, with kubectl as a user drives it: the real apiserver, real controller
// processes (two, for leader election), a real agent and dockerd. The agent dials a ReadyProxy that
// behaves like a Service: it sends connections to whichever controller is Ready (the leader).
// examples/kubernetes is applied under this run's own namespace and container names
// (test/support/examples.ts), so no other file or run shares them; each test brings the demo to
// Ready itself (ensureDemo), so the tests pass alone (--test) and in any order.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { installCrds } from '../support/berth.js';
import { OutputBuffer, spawnBerth, startBerthController, stopProcess } from '../support/berth-process.js';
import { uniqueExample } from '../support/examples.js';
import { metric } from '../support/metrics.js';
import { until } from '../support/wait.js';
import { agentHandshake } from '../support/ws-probe.js';
import { docker } from '../support/docker.js';
import { applyYaml, clusterAdminKubeconfig, createTestNamespace, deleteTestNamespace, fenceYaml, kubeconfig, kubectl, restartApiserver } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { ReadyProxy } from '../support/ready-proxy.js';
import { bed } from '../support/testbed.js';

const example = uniqueExample(join(repoRoot, 'examples/kubernetes'), randomBytes(3).toString('hex'));
const NS = example.namespace('berth-demo');
const GREETER = example.container('greeter');
const WEB = example.container('web');
const tmp = mkdtempSync(join(tmpdir(), 'berth-kube-'));
const tokenFile = join(tmp, 'token');
const proxy = new ReadyProxy();
let proxyUrl = '';
let systemNs = '';
const controllers: Array<{ child: ChildProcess; url: string }> = [];
let agent: ChildProcess | undefined;
let agentStartedAt = 0;

const output = new OutputBuffer();
const logs = { join: (_sep?: string) => output.text() };

async function startController(): Promise<{ child: ChildProcess; url: string }> {
  const started = await startBerthController(['--kube', '--kubeconfig', controllerKubeconfig, '--controller-namespace', systemNs,
    '--listen', '127.0.0.1:0', '--agent-url', proxyUrl, '--log-level', 'info'], { output });
  const c = { child: started.child, url: started.url };
  controllers.push(c);
  proxy.backends = live().map((x) => x.url);
  return c;
}

const live = () => controllers.filter((x) => x.child.exitCode === null && x.child.signalCode === null);
/** The controller that answers Ready (the leader), once there is exactly one. */
const leader = () => until('one Ready controller', async () => {
  const ready = [];
  for (const c of live()) if ((await readyz(c.url)) === 200) ready.push(c);
  return ready.length === 1 ? ready[0] : undefined;
}, 30_000, 250);

/**
 * The demo applied as the example has it, its agent running with the token of its current Secret,
 * and Ready — whatever an earlier test changed or deleted. Returns the token Secret's data.
 */
async function ensureDemo(): Promise<{ url: string; token: string }> {
  const applied = await kubectl(['apply', '-f', '-'], { input: example.yaml });
  assert.is(applied.code, 0, applied.stderr);
  // The token may be re-minted after the apply (a recreated host or token): keep the agent on the
  // Secret's current token until the host is Ready.
  let secret: { url: string; token: string } | undefined;
  await until('the demo Ready with its agent on the current token', async () => {
    const r = await kubectl(['-n', NS, 'get', 'secret', 'demo-agent-token', '-o', 'json']);
    if (r.code !== 0) return undefined;
    const data = (JSON.parse(r.stdout) as { data: Record<string, string> }).data;
    secret = { url: Buffer.from(data.url!, 'base64').toString(), token: Buffer.from(data.token!, 'base64').toString() };
    const h = await hostJson();
    // An agent whose host was deleted may be backing off for long; one not connected 20 s after it
    // started (or the last check) is restarted too.
    const stale = cond(h, 'AgentConnected') !== 'True' && Date.now() - agentStartedAt > 20_000;
    const current = agent && agent.exitCode === null && agent.signalCode === null && existsSync(tokenFile) && readFileSync(tokenFile, 'utf8') === secret.token;
    if (!current || stale) {
      await stopProcess(agent, 'SIGKILL');
      writeFileSync(tokenFile, secret.token, { mode: 0o600 });
      agent = spawnBerth(['agent', '--url', proxyUrl, '--token-file', tokenFile], { output }).child;
      agentStartedAt = Date.now();
    }
    return cond(h, 'Ready') === 'True';
  }, 150_000, 1_000);
  const wait = await waitReady();
  assert.is(wait.code, 0, `${wait.stderr}\n${logs.join().slice(-3000)}`);
  return secret!;
}

const readyz = async (url: string) => { try { return (await fetch(`${url}/readyz`)).status; } catch { return 0; } };
const hostJson = async () => JSON.parse((await kubectl(['-n', NS, 'get', 'ch', 'demo', '-o', 'json'], { check: true })).stdout) as { status?: { conditions?: Array<{ type: string; status: string }> } };
const cond = (h: { status?: { conditions?: Array<{ type: string; status: string }> } }, type: string) => h.status?.conditions?.find((c) => c.type === type)?.status;
const inspect = async (name: string) => { const r = await docker(['inspect', name]); return r.code === 0 ? JSON.parse(r.stdout)[0] as { Id: string; State: { Status: string }; Config: { Env: string[] } } : undefined; };
const waitReady = () => kubectl(['-n', NS, 'wait', '--for=condition=Ready', 'containerhost/demo', '--timeout=120s'], { timeoutMs: 130_000 });

async function clearDemo(): Promise<void> {
  await kubectl(['-n', NS, 'patch', 'ch', 'demo', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  for (const ns of example.namespaces) await deleteTestNamespace(ns);
  // Only this run's containers (their names are unique to it).
  await docker(['rm', '-f', GREETER, WEB]);
}

/**
 * This controller watches ALL namespaces (the cluster-wide install), on a bed other tests (and
 * other worktrees' runs) share: it runs as its own ServiceAccount, fenced out of writing anywhere
 * but this file's namespaces, so it never mints tokens into, or writes the status of, their hosts.
 */
const fenceName = `berth-test-mode-${randomBytes(4).toString('hex')}`;
let controllerKubeconfig = '';

test.before(async () => {
  await installCrds();
  systemNs = await createTestNamespace('bk-system');
  controllerKubeconfig = await clusterAdminKubeconfig(systemNs, 'controller', fenceName, join(tmp, 'controller.kubeconfig'));
  await applyYaml(fenceYaml({ name: fenceName, operator: 'NotIn', namespaces: [systemNs, ...example.namespaces], user: `system:serviceaccount:${systemNs}:controller`, events: true,
    message: 'the all-namespaces controller of test/kube/mode.test.ts must not write outside its namespaces' }));
  proxyUrl = await proxy.start();
  await startController();
});

test.after(async () => {
  for (const p of [agent, ...controllers.map((c) => c.child)]) if (p && p.exitCode === null) p.kill('SIGKILL');
  await proxy.stop();
  await clearDemo();
  await kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy,clusterrolebinding', fenceName, '--ignore-not-found']);
  if (systemNs) await deleteTestNamespace(systemNs);
  rmSync(tmp, { recursive: true, force: true });
});

test('kubectl apply -f examples/kubernetes, start the agent with its Secret, kubectl wait Ready', async () => {
  const secret = await ensureDemo();
  assert.is(secret.url, proxyUrl, 'the Secret says where agents dial');
  const row = (await kubectl(['-n', NS, 'get', 'ch', 'demo', '--no-headers'], { check: true })).stdout.trim().split(/\s+/);
  assert.equal(row.slice(0, 4), ['demo', 'True', '2/2', 'True']);
  const token = JSON.parse((await kubectl(['-n', NS, 'get', 'at', 'demo', '-o', 'json'], { check: true })).stdout);
  assert.is(cond(token, 'Ready'), 'True');
  assert.not.ok(JSON.stringify(token.status).includes(secret.token.split('.')[2]!), 'no token in status');
  await until('Events recorded (AgentConnected, Creating, Issued)', async () => {
    const r = await kubectl(['-n', NS, 'get', 'events', '--field-selector', 'involvedObject.name=demo', '-o', 'json'], { check: true });
    const reasons = (JSON.parse(r.stdout) as { items: Array<{ reason: string }> }).items.map((e) => e.reason);
    return reasons.includes('AgentConnected') && reasons.includes('Creating') && reasons.includes('Issued') ? reasons : undefined;
  }, 20_000);
});

test('the non-admin user cannot read the token Secret', async () => {
  await ensureDemo();
  const r = await kubectl(['-n', NS, 'get', 'secret', 'demo-agent-token'], { as: 'alice' });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /forbidden/i);
});

test('editing the image with kubectl recreates the container, and Ready returns', async () => {
  await ensureDemo();
  const before = (await inspect(WEB))!.Id;
  const patch = JSON.stringify([{ op: 'replace', path: '/spec/containers/1/image', value: bed('BERTH_TEST_IMAGE_2') }]);
  await kubectl(['-n', NS, 'patch', 'ch', 'demo', '--type=json', '-p', patch], { check: true });
  await until('web recreated on image 2', async () => { const i = await inspect(WEB); return i && i.Id !== before && i.State.Status === 'running' ? i : undefined; }, 60_000);
  assert.is((await docker(['exec', WEB, 'cat', '/berth-image-version'])).stdout.trim(), '2');
  assert.is((await waitReady()).code, 0);
});

test('a Secret change reaches the container env', async () => {
  await ensureDemo();
  const greeting = `changed greeting ${Date.now()}`;
  await kubectl(['-n', NS, 'patch', 'secret', 'demo-greeting', '-p', JSON.stringify({ stringData: { text: greeting } })], { check: true });
  await until('greeter recreated with the new value', async () => (await inspect(GREETER))?.Config.Env.includes(`GREETING=${greeting}`), 60_000);
  assert.is((await waitReady()).code, 0);
});

test('two controllers: one leader; SIGKILL it and the other leads within 20 s; the agent reconnects; nothing duplicated', async () => {
  await ensureDemo();
  const a = await leader();
  const b = await startController();
  await until('exactly one Ready replica', async () => (await readyz(a.url)) === 200 && (await readyz(b.url)) === 503, 20_000);
  const ids = (await docker(['ps', '-q', '--filter', `label=berth.dev/host=${NS}/demo`])).stdout.trim().split('\n').sort();
  await stopProcess(a.child, 'SIGKILL');
  proxy.backends = live().map((x) => x.url);
  // The 20 s bound is the wait's own timeout.
  await until('the standby leads within 20 s', async () => (await readyz(b.url)) === 200, 20_000, 250);
  await until('agent reconnected to the new leader', async () => cond(await hostJson(), 'AgentConnected') === 'True' && (await metric(b.url, 'berth_hub_connected_agents')) === 1, 90_000, 500);
  assert.is((await waitReady()).code, 0);
  const after = (await docker(['ps', '-q', '--filter', `label=berth.dev/host=${NS}/demo`])).stdout.trim().split('\n').sort();
  assert.equal(after, ids, 'the same two containers, none duplicated or recreated');
});

test('the apiserver restarts mid-run; a spec change made as it returns is reconciled', async () => {
  await ensureDemo();
  await restartApiserver();
  const patch = JSON.stringify([{ op: 'replace', path: '/spec/containers/0/state', value: 'Stopped' }]);
  await kubectl(['-n', NS, 'patch', 'ch', 'demo', '--type=json', '-p', patch], { check: true });
  await until('greeter stopped', async () => (await inspect(GREETER))?.State.Status === 'exited', 60_000);
});

test('kubectl delete ch removes the containers, then the object', async () => {
  await ensureDemo();
  const r = await kubectl(['-n', NS, 'delete', 'ch', 'demo', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.is(r.code, 0, r.stderr);
  assert.is((await kubectl(['-n', NS, 'get', 'ch', 'demo'])).code, 1);
  assert.is(await inspect(GREETER), undefined);
  assert.is(await inspect(WEB), undefined);
});

test('deleting the AgentToken disconnects the agent and refuses its token', async () => {
  const { token } = await ensureDemo();
  const { url } = await leader();
  await kubectl(['-n', NS, 'delete', 'at', 'demo'], { check: true });
  await until('agent disconnected', async () => (await metric(url, 'berth_hub_connected_agents')) === 0, 5_000);
  assert.is((await agentHandshake(url, token, { close: true })).status, 401);
});

test.run();
