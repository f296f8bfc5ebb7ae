// The agent link across a real network boundary (issue 12 items 1+2): an agent in the bed's own
// network namespace (test/env/netns.sh) reaches the controller only over a veth pair, through a
// plaintext TCP proxy that records every byte — what anyone on the path would see.
//   - wss with the CA `--tls auto` generated and wrote beside the token: Ready, the secret reached the
//     container, and the proxy saw neither the token nor the secret;
//   - the same path over ws:// is refused at start; with --insecure-plaintext the proxy does see the
//     token (so the recording above could have caught a leak);
//   - a machine in the middle with another certificate is refused before the token is sent;
//   - the controller's certificate files replaced while an agent is connected: new connections get
//     the new certificate, the agent's connection is not dropped.
import type { ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { issueCa, issueServerCert } from '../../controller/tls/x509.js';
import { BerthEnv, condition, type HostView } from '../support/berth-env.js';
import { OutputBuffer, spawnBerth, startBerthController, stopProcess } from '../support/berth-process.js';
import { docker } from '../support/docker.js';
import { httpsGet, netnsVar, RecordingProxy, spawnBerthInNetns } from '../support/netns.js';
import { bed } from '../support/testbed.js';
import { until } from '../support/wait.js';

const secretValue = `s3cret-${Math.random().toString(36).slice(2, 12)}`;
const year = () => new Date(Date.now() + 365 * 86_400_000);

interface Setup { env: BerthEnv; out: OutputBuffer; controller?: ChildProcess; url: string; ca: string; agents: ChildProcess[] }

function manifests(env: BerthEnv, host: string): void {
  env.write('secret.yaml', `apiVersion: v1\nkind: Secret\nmetadata: { name: creds, namespace: ${env.namespace} }\nstringData: { pass: ${secretValue} }\n`);
  env.write(`${host}.yaml`, env.hostYaml(host, `containers:\n- name: ${env.name('app')}\n  image: ${bed('BERTH_TEST_IMAGE')}\n  command: [sleep, "3600"]\n  stopTimeoutSeconds: 1\n  env: [{ name: PASS, valueFrom: { secretKeyRef: { name: creds, key: pass } } }]`));
}

/** `berth controller` (through controller-proc.ts, for the TLS poll seam) with extra flags. */
async function controller(s: Setup, extra: string[]): Promise<void> {
  const p = await startBerthController(['--dir', s.env.manifests, '--state', s.env.state, '--listen', '127.0.0.1:0', '--log-level', 'info', ...extra], {
    output: s.out, env: { BERTH_TEST_CONTROLLER_SEAMS: JSON.stringify({ tlsPollMs: 200 }) },
  });
  s.controller = p.child;
  s.url = p.url;
}

const agentListener = (out: OutputBuffer): { host: string; port: number } => {
  const m = /"agentListener":"https?:\/\/([^"]+):(\d+)"/.exec(out.text(Infinity));
  if (!m) throw new Error(`no agentListener in the controller's log:\n${out.text()}`);
  return { host: m[1]!, port: Number(m[2]) };
};

const hostView = async (s: Setup, name: string): Promise<HostView | undefined> => {
  const r = await httpsGet<HostView>(`${s.url}/api/v1/hosts/${s.env.namespace}/${name}`, s.ca);
  return r.status === 200 ? r.body : undefined;
};
const waitReady = (s: Setup, name: string) => until(`${name} Ready`, async () => {
  const h = await hostView(s, name);
  return condition(h, 'Ready')?.status === 'True' ? h : undefined;
}, 60_000).catch((err: Error) => { throw new Error(`${err.message}\n${s.out.text()}`); });

async function cleanup(s: Setup): Promise<void> {
  for (const a of s.agents) await stopProcess(a, 'SIGTERM');
  await stopProcess(s.controller, 'SIGTERM');
  await s.env.cleanup();
}

const exited = (child: ChildProcess): Promise<number | null> => new Promise((r) => { if (child.exitCode !== null) r(child.exitCode); else child.once('exit', (code) => r(code)); });

test('an agent in another network namespace connects over wss with the generated CA; a plaintext proxy on the path sees no secret', async () => {
  const s: Setup = { env: new BerthEnv(), out: new OutputBuffer(), url: '', ca: '', agents: [] };
  const proxy = new RecordingProxy();
  const hostAddr = netnsVar('BERTH_TEST_NETNS_HOST_ADDR');
  try {
    manifests(s.env, 'remote');
    const port = await proxy.listen(hostAddr);
    // The page stays on loopback; agents get their own listener, reached here only through the proxy.
    await controller(s, ['--tls', 'auto', '--agent-listen', '127.0.0.1:0', '--agent-url', `wss://${hostAddr}:${port}`]);
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:/, 'the page is HTTPS too');
    proxy.target = agentListener(s.out);
    const onlyAgents = await httpsGet(`https://127.0.0.1:${proxy.target.port}/api/v1/hosts`, readFileSync(join(s.env.state, 'tls', 'ca.crt'), 'utf8'));
    assert.is(onlyAgents.status, 404, 'the agent listener serves no page or API');
    const tokenFile = s.env.tokenFile('remote');
    await until('token and ca.crt files', () => existsSync(tokenFile) && existsSync(join(tokenFile, '..', 'ca.crt')), 15_000);
    s.ca = readFileSync(join(tokenFile, '..', 'ca.crt'), 'utf8');
    assert.is(s.ca, readFileSync(join(s.env.state, 'tls', 'ca.crt'), 'utf8'), 'the CA beside the token is the state directory\'s');
    const json = JSON.parse(readFileSync(tokenFile.replace(/\.token$/, '.json'), 'utf8')) as { url: string; 'ca.crt'?: string };
    assert.is(json.url, `wss://${hostAddr}:${port}`);
    assert.is(json['ca.crt'], s.ca, 'the JSON form of the Secret carries ca.crt too');

    // No --ca-file: the agent finds ca.crt beside its token file.
    s.agents.push(spawnBerthInNetns(['agent', '--url', `wss://${hostAddr}:${port}`, '--token-file', tokenFile, '--log-level', 'info'], s.out));
    const host = await waitReady(s, 'remote');
    assert.is(condition(host, 'AgentConnected')?.status, 'True');
    const envOf = (await docker(['inspect', '-f', '{{json .Config.Env}}', s.env.name('app')])).stdout;
    assert.ok(envOf.includes(`PASS=${secretValue}`), 'the secret travelled through the proxy to the container');

    const netnsAddr = netnsVar('BERTH_TEST_NETNS_ADDR');
    assert.ok(proxy.peers.length > 0 && proxy.peers.every((p) => p.replace(/^::ffff:/, '') === netnsAddr), `the agent came from the namespace (${proxy.peers.join(', ')})`);
    const seen = proxy.seen;
    assert.ok(seen.length > 2000, `the proxy carried the connection (${seen.length} bytes)`);
    assert.is(seen[0], 0x16, 'a TLS handshake record, not HTTP');
    const jwt = readFileSync(tokenFile, 'utf8').trim();
    for (const [what, needle] of [['the token', jwt], ['its signature', jwt.split('.')[2]!], ['the secret value', secretValue], ['the Authorization header', 'Bearer '], ['an apply frame', '"apply"']] as const) {
      assert.not.ok(seen.includes(Buffer.from(needle)), `the proxy saw ${what}`);
    }
  } finally {
    proxy.close();
    await cleanup(s);
  }
});

test('ws:// to the namespace\'s peer is refused at start; --insecure-plaintext is the explicit way out, and then the path sees the token', async () => {
  const s: Setup = { env: new BerthEnv(), out: new OutputBuffer(), url: '', ca: '', agents: [] };
  const proxy = new RecordingProxy();
  const hostAddr = netnsVar('BERTH_TEST_NETNS_HOST_ADDR');
  try {
    manifests(s.env, 'plain');
    const port = await proxy.listen(hostAddr);
    // --agent-url: the name agents reach it under (through the proxy) — the Host allowlist answers 421 to any other.
    const p = await startBerthController(['--dir', s.env.manifests, '--state', s.env.state, '--listen', '127.0.0.1:0', '--agent-url', `ws://${hostAddr}:${port}`, '--log-level', 'info'], { output: s.out });
    s.controller = p.child;
    s.url = p.url;
    proxy.target = { host: '127.0.0.1', port: Number(new URL(p.url).port) };
    const tokenFile = s.env.tokenFile('plain');
    await until('token file', () => existsSync(tokenFile), 15_000);
    assert.not.ok(existsSync(join(tokenFile, '..', 'ca.crt')), 'no TLS: no CA beside the token');

    const refused = spawnBerthInNetns(['agent', '--url', `ws://${hostAddr}:${port}`, '--token-file', tokenFile], s.out);
    assert.is(await exited(refused), 2, 'a usage error');
    assert.match(s.out.text(), new RegExp(`refusing ws://${hostAddr.replace(/\./g, '\\.')}:${port}: plain ws:// to another machine`));
    assert.match(s.out.text(), /--insecure-plaintext/);
    assert.is(proxy.peers.length, 0, 'it never connected');

    s.agents.push(spawnBerthInNetns(['agent', '--url', `ws://${hostAddr}:${port}`, '--token-file', tokenFile, '--insecure-plaintext'], s.out));
    s.env.url = s.url;   // plain HTTP: BerthEnv's own reads work
    await s.env.waitReady('plain').catch((err: Error) => { throw new Error(`${err.message}\n${s.out.text()}`); });
    const jwt = readFileSync(tokenFile, 'utf8').trim();
    assert.ok(proxy.seen.includes(Buffer.from(jwt)), 'in plaintext the path reads the token: the recording can see a leak');
    assert.ok(proxy.seen.includes(Buffer.from(secretValue)), 'and the secret in the apply frame');
  } finally {
    proxy.close();
    await cleanup(s);
  }
});

test('a machine in the middle with another certificate is refused, before the token is sent', async () => {
  const s: Setup = { env: new BerthEnv(), out: new OutputBuffer(), url: '', ca: '', agents: [] };
  const hostAddr = netnsVar('BERTH_TEST_NETNS_HOST_ADDR');
  const other = issueCa('Someone else', year());
  const fake = issueServerCert(other, hostAddr, [hostAddr], year());
  let requests = 0;
  const mitm = createHttpsServer({ cert: fake.certPem, key: fake.keyPem }, (_req, res) => { requests++; res.statusCode = 500; res.end(); });
  mitm.on('upgrade', (_req, socket) => { requests++; socket.destroy(); });
  try {
    manifests(s.env, 'mitm');
    await new Promise<void>((r) => mitm.listen(0, hostAddr, () => r()));
    const port = (mitm.address() as AddressInfo).port;
    await controller(s, ['--tls', 'auto']);
    const tokenFile = s.env.tokenFile('mitm');
    await until('ca.crt beside the token', () => existsSync(join(tokenFile, '..', 'ca.crt')), 15_000);
    s.agents.push(spawnBerthInNetns(['agent', '--url', `wss://${hostAddr}:${port}`, '--token-file', tokenFile], s.out));
    await until('the agent to refuse the certificate', () => /TLS certificate was not accepted/.test(s.out.text(Infinity)) || undefined, 20_000)
      .catch((err: Error) => { throw new Error(`${err.message}\n${s.out.text()}`); });
    assert.match(s.out.text(Infinity), /self[- ]signed|unable to verify|certificate/);
    assert.is(requests, 0, 'no HTTP request (with the Authorization header) ever reached the impostor');
  } finally {
    mitm.close();
    await cleanup(s);
  }
});

test('certificate rotation: replaced files are served to new connections; the connected agents stay connected', async () => {
  const s: Setup = { env: new BerthEnv(), out: new OutputBuffer(), url: '', ca: '', agents: [] };
  const dir = join(s.env.root, 'pki');
  mkdirSync(dir);
  const ca = issueCa('Test PKI', year());
  const first = issueServerCert(ca, 'localhost', ['localhost', '127.0.0.1'], year());
  const write = (name: string, text: string) => { writeFileSync(join(dir, `.${name}.tmp`), text); renameSync(join(dir, `.${name}.tmp`), join(dir, name)); };
  write('tls.crt', first.certPem); write('tls.key', first.keyPem); write('ca.crt', ca.certPem);
  try {
    manifests(s.env, 'rotate');
    s.env.write('rotate2.yaml', s.env.hostYaml('rotate2', 'containers: []'));
    await controller(s, ['--tls-cert', join(dir, 'tls.crt'), '--tls-key', join(dir, 'tls.key'), '--tls-ca', join(dir, 'ca.crt')]);
    s.ca = ca.certPem;
    const tokenFile = s.env.tokenFile('rotate');
    await until('ca.crt beside the token', () => existsSync(join(tokenFile, '..', 'ca.crt')), 15_000);
    assert.is(readFileSync(join(tokenFile, '..', 'ca.crt'), 'utf8'), ca.certPem, '--tls-ca is what goes beside the token');
    s.agents.push(spawnBerth(['agent', '--url', s.url, '--token-file', tokenFile, '--ca-file', join(dir, 'ca.crt')], { output: s.out }).child);
    // The second agent finds the CA beside its token (--tls-ca put it there).
    const token2 = s.env.tokenFile('rotate2');
    await until('the second token', () => existsSync(token2), 15_000);
    s.agents.push(spawnBerth(['agent', '--url', s.url, '--token-file', token2], { output: s.out }).child);
    const connectedAtOf = (h: HostView) => (h.status as { agent?: { connectedAt?: string } }).agent?.connectedAt;
    const connectedAt = connectedAtOf(await waitReady(s, 'rotate'));
    const connectedAt2 = connectedAtOf(await waitReady(s, 'rotate2'));
    assert.ok(connectedAt && connectedAt2);
    assert.is((await httpsGet(`${s.url}/healthz`, ca.certPem)).fingerprint, new X509Certificate(first.certPem).fingerprint256);

    const second = issueServerCert(ca, 'localhost', ['localhost', '127.0.0.1'], year());
    write('tls.key', second.keyPem);
    write('tls.crt', second.certPem);
    const fp2 = new X509Certificate(second.certPem).fingerprint256;
    await until('the new certificate served', async () => (await httpsGet(`${s.url}/healthz`, ca.certPem)).fingerprint === fp2 || undefined, 10_000);
    assert.match(s.out.text(Infinity), /TLS certificate reloaded/);
    await new Promise((r) => setTimeout(r, 1500));   // a few pings: a dropped connection would show
    assert.is(connectedAtOf(await waitReady(s, 'rotate')), connectedAt, 'the first agent did not reconnect');
    assert.is(connectedAtOf(await waitReady(s, 'rotate2')), connectedAt2, 'nor the second');
    // A new connection after the rotation verifies the new certificate through the same CA.
    await stopProcess(s.agents.pop(), 'SIGTERM');
    s.agents.push(spawnBerth(['agent', '--url', s.url, '--token-file', token2], { output: s.out }).child);
    await until('rotate2 reconnected', async () => { const h = await hostView(s, 'rotate2'); return h && connectedAtOf(h) !== connectedAt2 && condition(h, 'AgentConnected')?.status === 'True' || undefined; }, 30_000);
    assert.not.match(s.out.text(Infinity), /connection to the controller lost/);
  } finally {
    await cleanup(s);
  }
});

test.run();
