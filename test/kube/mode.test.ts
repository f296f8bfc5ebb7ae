// Kubernetes mode end to end, with kubectl as a user drives it: the real apiserver, real controller
// processes (two, for leader election), a real agent and dockerd. The agent dials a ReadyProxy that
// behaves like a Service: it sends connections to whichever controller is Ready (the leader).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { docker } from '../support/docker.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl, restartApiserver } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { ReadyProxy } from '../support/ready-proxy.js';
import { bed } from '../support/testbed.js';

const NS = 'berth-demo';
const tmp = mkdtempSync(join(tmpdir(), 'berth-kube-'));
const tokenFile = join(tmp, 'token');
const proxy = new ReadyProxy();
let proxyUrl = '';
let systemNs = '';
const logs: string[] = [];
const controllers: Array<{ child: ChildProcess; url: string }> = [];
let agent: ChildProcess | undefined;

function spawnBerth(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (c: Buffer) => { logs.push(c.toString()); if (logs.length > 3000) logs.splice(0, 1500); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

async function startController(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawnBerth(['controller', '--kube', '--kubeconfig', kubeconfig('admin'), '--controller-namespace', systemNs,
    '--listen', '127.0.0.1:0', '--agent-url', proxyUrl, '--log-level', 'info']);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const m = /"url":"(http:\/\/[^"]+)"/.exec(buf); if (m) resolve(m[1]!); });
    child.once('exit', (code) => reject(new Error(`controller exited ${code}:\n${logs.join('').slice(-4000)}`)));
    setTimeout(() => reject(new Error(`controller did not start:\n${logs.join('').slice(-4000)}`)), 30_000).unref();
  });
  const c = { child, url };
  controllers.push(c);
  proxy.backends = controllers.filter((x) => x.child.exitCode === null && x.child.signalCode === null).map((x) => x.url);
  return c;
}

const readyz = async (url: string) => { try { return (await fetch(`${url}/readyz`)).status; } catch { return 0; } };
const hostJson = async () => JSON.parse((await kubectl(['-n', NS, 'get', 'ch', 'demo', '-o', 'json'], { check: true })).stdout);
const cond = (h: { status?: { conditions?: Array<{ type: string; status: string }> } }, type: string) => h.status?.conditions?.find((c) => c.type === type)?.status;
const inspect = async (name: string) => { const r = await docker(['inspect', name]); return r.code === 0 ? JSON.parse(r.stdout)[0] as { Id: string; State: { Status: string }; Config: { Env: string[] } } : undefined; };
const waitReady = () => kubectl(['-n', NS, 'wait', '--for=condition=Ready', 'containerhost/demo', '--timeout=120s'], { timeoutMs: 130_000 });

async function clearDemo(): Promise<void> {
  await kubectl(['-n', NS, 'patch', 'ch', 'demo', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
  await deleteTestNamespace(NS);
  await docker(['rm', '-f', 'greeter', 'web']);
}

test.before(async () => {
  await installCrds();
  await clearDemo();
  systemNs = await createTestNamespace('bk-system');
  proxyUrl = await proxy.start();
  await startController();
});

test.after(async () => {
  for (const p of [agent, ...controllers.map((c) => c.child)]) if (p && p.exitCode === null) p.kill('SIGKILL');
  await proxy.stop();
  await clearDemo();
  if (systemNs) await deleteTestNamespace(systemNs);
  rmSync(tmp, { recursive: true, force: true });
});

test('kubectl apply -f examples/kubernetes, start the agent with its Secret, kubectl wait Ready', async () => {
  const applied = await kubectl(['apply', '-f', join(repoRoot, 'examples/kubernetes')]);
  assert.is(applied.code, 0, applied.stderr);
  const secret = await until('the token Secret', async () => {
    const r = await kubectl(['-n', NS, 'get', 'secret', 'demo-agent-token', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) as { data: Record<string, string> } : undefined;
  }, 30_000);
  assert.is(Buffer.from(secret.data.url!, 'base64').toString(), proxyUrl, 'the Secret says where agents dial');
  writeFileSync(tokenFile, Buffer.from(secret.data.token!, 'base64'), { mode: 0o600 });
  agent = spawnBerth(['agent', '--url', proxyUrl, '--token-file', tokenFile]);
  const wait = await waitReady();
  assert.is(wait.code, 0, `${wait.stderr}\n${logs.join('').slice(-3000)}`);
  const row = (await kubectl(['-n', NS, 'get', 'ch', 'demo', '--no-headers'], { check: true })).stdout.trim().split(/\s+/);
  assert.equal(row.slice(0, 4), ['demo', 'True', '2/2', 'True']);
  const token = JSON.parse((await kubectl(['-n', NS, 'get', 'at', 'demo', '-o', 'json'], { check: true })).stdout);
  assert.is(cond(token, 'Ready'), 'True');
  assert.not.ok(JSON.stringify(token.status).includes(Buffer.from(secret.data.token!, 'base64').toString().split('.')[2]!), 'no token in status');
  const events = await until('Events recorded', async () => {
    const r = await kubectl(['-n', NS, 'get', 'events', '--field-selector', 'involvedObject.name=demo', '-o', 'json'], { check: true });
    const reasons = (JSON.parse(r.stdout) as { items: Array<{ reason: string }> }).items.map((e) => e.reason);
    return reasons.includes('AgentConnected') && reasons.includes('Creating') && reasons.includes('Issued') ? reasons : undefined;
  }, 20_000);
  assert.ok(events.length >= 3);
});

test('the non-admin user cannot read the token Secret', async () => {
  const r = await kubectl(['-n', NS, 'get', 'secret', 'demo-agent-token'], { as: 'alice' });
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /forbidden/i);
});

test('editing the image with kubectl recreates the container, and Ready returns', async () => {
  const before = (await inspect('web'))!.Id;
  const patch = JSON.stringify([{ op: 'replace', path: '/spec/containers/1/image', value: bed('BERTH_TEST_IMAGE_2') }]);
  await kubectl(['-n', NS, 'patch', 'ch', 'demo', '--type=json', '-p', patch], { check: true });
  await until('web recreated on image 2', async () => { const i = await inspect('web'); return i && i.Id !== before && i.State.Status === 'running'; }, 60_000);
  assert.is((await docker(['exec', 'web', 'cat', '/berth-image-version'])).stdout.trim(), '2');
  assert.is((await waitReady()).code, 0);
});

test('a Secret change reaches the container env', async () => {
  await kubectl(['-n', NS, 'patch', 'secret', 'demo-greeting', '-p', JSON.stringify({ stringData: { text: 'changed greeting' } })], { check: true });
  await until('greeter recreated with the new value', async () => (await inspect('greeter'))?.Config.Env.includes('GREETING=changed greeting'), 60_000);
  assert.is((await waitReady()).code, 0);
});

test('two controllers: one leader; SIGKILL it and the other leads within 20 s; the agent reconnects; nothing duplicated', async () => {
  const b = await startController();
  const [a] = controllers;
  await until('exactly one Ready replica', async () => (await readyz(a!.url)) === 200 && (await readyz(b.url)) === 503, 20_000);
  const ids = (await docker(['ps', '-q', '--filter', `label=berth.dev/host=${NS}/demo`])).stdout.trim().split('\n').sort();
  a!.child.kill('SIGKILL');
  const killedAt = Date.now();
  proxy.backends = [b.url];
  await until('the standby leads', async () => (await readyz(b.url)) === 200, 20_000, 250);
  assert.ok(Date.now() - killedAt <= 20_000, `took ${Date.now() - killedAt} ms`);
  await until('agent reconnected to the new leader', async () => cond(await hostJson(), 'AgentConnected') === 'True' && (await fetch(`${b.url}/metrics`).then((r) => r.text())).includes('berth_hub_connected_agents 1'), 90_000, 500);
  assert.is((await waitReady()).code, 0);
  const after = (await docker(['ps', '-q', '--filter', `label=berth.dev/host=${NS}/demo`])).stdout.trim().split('\n').sort();
  assert.equal(after, ids, 'the same two containers, none duplicated or recreated');
});

test('the apiserver restarts mid-run; a spec change made as it returns is reconciled', async () => {
  await restartApiserver();
  const patch = JSON.stringify([{ op: 'replace', path: '/spec/containers/0/state', value: 'Stopped' }]);
  await kubectl(['-n', NS, 'patch', 'ch', 'demo', '--type=json', '-p', patch], { check: true });
  await until('greeter stopped', async () => (await inspect('greeter'))?.State.Status === 'exited', 60_000);
});

test('kubectl delete ch removes the containers, then the object', async () => {
  const r = await kubectl(['-n', NS, 'delete', 'ch', 'demo', '--timeout=60s'], { timeoutMs: 70_000 });
  assert.is(r.code, 0, r.stderr);
  assert.is((await kubectl(['-n', NS, 'get', 'ch', 'demo'])).code, 1);
  assert.is(await inspect('greeter'), undefined);
  assert.is(await inspect('web'), undefined);
});

test('deleting the AgentToken disconnects the agent and refuses its token', async () => {
  const leader = controllers.at(-1)!;
  await kubectl(['-n', NS, 'delete', 'at', 'demo'], { check: true });
  await until('agent disconnected', async () => (await fetch(`${leader.url}/metrics`).then((r) => r.text())).includes('berth_hub_connected_agents 0'), 5_000);
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`${leader.url.replace(/^http/, 'ws')}/agent/v1/connect`, { headers: { Authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` } });
    ws.once('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => { ws.close(); resolve(101); });
    ws.once('error', () => resolve(0));
  });
  assert.is(status, 401);
});

test.run();
