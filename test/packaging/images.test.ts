// The container images, built and run for real. The agent's: packaging/agent.Dockerfile on the test bed's
// local node base image (no image can be pulled here), built with the bed's dockerd, then run the
// way docs/quick-start.md says — Docker socket mounted, its group added, token in the environment —
// against a directory-mode controller on the host. It must connect and drive the host's Docker.
// The controller's: built the same way, runs as non-root on a read-only root filesystem.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { issueCa, issueServerCert } from '../../controller/tls/x509.js';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { docker, dockerOk } from '../support/docker.js';
import { run } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

// A stable tag, so the legacy builder's layer cache makes warm rebuilds a matter of seconds; the
// image this build replaces is removed so old ones do not pile up.
const IMAGE = 'berth-test/agent:dev';
const CONTROLLER_IMAGE = 'berth-test/controller:dev';
const env = new BerthEnv();
const agentName = env.name('agent');
/** The agent link (wss URL + CA mount) the first agent test sets up, for the later ones' agents. */
let agentLink: string[] = [];
const socket = bed('DOCKER_HOST').replace(/^unix:\/\//, '');

test.after(async () => {
  await docker(['rm', '-f', agentName]);
  await env.cleanup();
});

/** docker build (legacy builder) of packaging/<kind>.Dockerfile on the bed's node base; returns the build output. */
async function build(kind: 'agent' | 'controller', tag: string): Promise<string> {
  const previous = (await docker(['image', 'inspect', '-f', '{{.Id}}', tag])).stdout.trim();
  // The bed's dockerd 20.10 has BuildKit, but the CLI here has no buildx plugin to drive it: the
  // legacy builder it is (multi-stage and ARG-before-FROM work there too).
  const r = await docker(['build', '-f', join(repoRoot, `packaging/${kind}.Dockerfile`), '--build-arg', `BASE_IMAGE=${bed('BERTH_TEST_NODE_BASE_IMAGE')}`, '-t', tag, repoRoot],
    { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 300_000 });
  assert.is(r.code, 0, r.stderr + r.stdout.slice(-3000));
  const current = await dockerOk(['image', 'inspect', '-f', '{{.Id}}', tag]);
  if (previous && previous !== current) await docker(['rmi', previous]);
  return r.stdout;
}

/** The agent image, built once per file by whichever test needs it first (tests run in any order or alone). */
let agentBuild: Promise<string> | undefined;
function agentImage(): Promise<string> {
  // The agent image needs only the agent bundle (`npm run build` writes it): no node_modules.
  agentBuild ??= build('agent', IMAGE);
  return agentBuild;
}

test('the agent image holds Node and the agent bundle only: no node_modules, a few hundred KiB on its base', async () => {
  await agentImage();
  const ls = await dockerOk(['run', '--rm', '--entrypoint', 'node', IMAGE, '-e',
    'const fs=require("fs");console.log(JSON.stringify({uid:process.getuid(),app:fs.readdirSync("/app").sort(),nodeModules:fs.existsSync("/app/node_modules")||fs.existsSync("/node_modules")}))']);
  assert.equal(JSON.parse(ls), { uid: 65532, app: ['berth-agent.licenses.txt', 'berth-agent.mjs'], nodeModules: false });
  // What the agent adds to its base (the ≤ 80 MB goal is the base's to meet: docs/performance.md).
  const size = async (image: string) => Number(await dockerOk(['image', 'inspect', '-f', '{{.Size}}', image]));
  const added = (await size(IMAGE)) - (await size(bed('BERTH_TEST_NODE_BASE_IMAGE')));
  assert.ok(added > 0 && added < 3 * 2 ** 20, `the agent adds ${added} bytes to its base image`);
  assert.is(await dockerOk(['image', 'inspect', '-f', '{{.Config.User}} {{json .Config.Entrypoint}}', IMAGE]), '65532:65532 ["node","--max-semi-space-size=1","--lite-mode","/app/berth-agent.mjs"]');
});

test('run with the Docker socket mounted and a token, the agent connects and runs the host\'s container', async () => {
  // Containers reach the host through the default bridge's gateway; the controller listens there.
  await agentImage();
  // No guessed fallback: a bridge without a gateway must fail here, not test some other address.
  const gateway = await dockerOk(['network', 'inspect', 'bridge', '-f', '{{(index .IPAM.Config 0).Gateway}}']);
  assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/, `the default bridge's gateway: ${JSON.stringify(gateway)}`);
  const web = env.name('web');
  env.write('host.yaml', env.hostYaml('imaged', `containers:\n- { name: ${web}, image: ${bed('BERTH_TEST_IMAGE')}, command: [sleep, "3600"] }`));
  // wss, as the docs' docker run line: the agent endpoint on its own TLS listener at the gateway
  // (the page stays on loopback), its CA mounted into the agent container (readable by its user).
  const pki = join(env.root, 'pki');
  mkdirSync(pki);
  const ca = issueCa('Packaging test CA', new Date(Date.now() + 86_400_000));
  const srv = issueServerCert(ca, gateway, [gateway], new Date(Date.now() + 86_400_000));
  writeFileSync(join(pki, 'tls.crt'), srv.certPem); writeFileSync(join(pki, 'tls.key'), srv.keyPem, { mode: 0o600 });
  writeFileSync(join(pki, 'ca.crt'), ca.certPem); chmodSync(join(pki, 'ca.crt'), 0o644);
  await env.startController(['--agent-listen', `${gateway}:0`, '--agent-tls-cert', join(pki, 'tls.crt'), '--agent-tls-key', join(pki, 'tls.key')]);
  const agentUrl = await until('the agent listener', () => /"agentListener":"https:\/\/([^"]+)"/.exec(env.logs(Infinity))?.[1], 10_000);
  agentLink = ['-v', `${join(pki, 'ca.crt')}:/etc/berth/ca.crt:ro`, '-e', 'BERTH_CA_FILE=/etc/berth/ca.crt', '-e', `BERTH_URL=wss://${agentUrl}`];
  await until('token file', () => existsSync(env.tokenFile('imaged')), 15_000);
  const socketGid = (await run('stat', ['-c', '%g', socket], { check: true })).stdout.trim();
  // The token goes in through the CLI's environment (`-e BERTH_TOKEN` without a value), never argv.
  const started = await docker(['run', '-d', '--name', agentName, '--group-add', socketGid,
    '-v', `${socket}:/var/run/docker.sock`, '-v', `${join(pki, 'ca.crt')}:/etc/berth/ca.crt:ro`, '-e', 'BERTH_CA_FILE=/etc/berth/ca.crt',
    '-e', 'BERTH_TOKEN', '-e', `BERTH_URL=wss://${agentUrl}`, IMAGE],
    { env: { BERTH_TOKEN: readFileSync(env.tokenFile('imaged'), 'utf8').trim() } });
  assert.is(started.code, 0, started.stderr);
  const agentId = started.stdout.trim();
  const host = await env.waitReady('imaged', 60_000).catch(async (err: Error) => {
    throw new Error(`${err.message}\nagent logs:\n${(await docker(['logs', agentName])).stderr.slice(-3000)}\ncontroller:\n${env.logs()}`);
  });
  assert.is(condition(host, 'AgentConnected')?.status, 'True');
  const facts = (host.status as { agent?: { hostname?: string; dockerAPIVersion?: string; dockerMinAPIVersion?: string } }).agent;
  assert.is(facts?.hostname, agentId.slice(0, 12), 'the agent that connected is the one in the container');
  // The Engine API versions, as the bed's dockerd reports them on GET /version.
  const api = await dockerOk(['version', '-f', '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}']);
  assert.is(`${facts?.dockerAPIVersion} ${facts?.dockerMinAPIVersion}`, api, 'status.agent carries the Engine API version and minimum');
  const state = await dockerOk(['inspect', '-f', '{{.State.Status}} {{index .Config.Labels "berth.dev/managed"}}', web]);
  assert.is(state, 'running true');
  const user = await dockerOk(['inspect', '-f', '{{.Config.User}}', agentName]);
  assert.is(user, '65532:65532', 'the agent runs as the image\'s non-root user');
});

test('in the container, host paths are checked on the host: refused clearly without its root, resolved in it with -v /:/host:ro', async () => {
  // The agent of the previous test, now with a host path its ceiling allows (issue 12 item 6).
  assert.ok(agentLink.length, 'the previous test set up the agent link');
  const shared = mkdtempSync(join(tmpdir(), 'berth-img-hostpath-'));
  chmodSync(shared, 0o755);   // the agent runs as 65532 and must be able to look inside
  mkdirSync(join(shared, 'ok'), { mode: 0o755 });
  symlinkSync('/etc', join(shared, 'escape'));
  const [okName, escName] = [env.name('okpath'), env.name('escpath')];
  const bind = (name: string, path: string) => `- { name: ${name}, image: ${bed('BERTH_TEST_IMAGE')}, command: [sleep, "3600"], volumes: [{ hostPath: "${path}", mountPath: /m, readOnly: true }] }`;
  env.write('host.yaml', env.hostYaml('imaged', `policy: { allowedHostPaths: ["${shared}"] }\ncontainers:\n${bind(okName, join(shared, 'ok'))}\n${bind(escName, join(shared, 'escape'))}`));
  const socketGid = (await run('stat', ['-c', '%g', socket], { check: true })).stdout.trim();
  const startAgent = async (extra: string[]) => {
    await docker(['rm', '-f', agentName]);
    const r = await docker(['run', '-d', '--name', agentName, '--group-add', socketGid, '-v', `${socket}:/var/run/docker.sock`, ...extra,
      '-e', 'BERTH_TOKEN', ...agentLink, '-e', `BERTH_ALLOWED_HOST_PATHS=${shared}`, IMAGE],
    { env: { BERTH_TOKEN: readFileSync(env.tokenFile('imaged'), 'utf8').trim() } });
    assert.is(r.code, 0, r.stderr);
  };
  const message = (h: { status: { containers?: Array<{ name: string; message?: string; state: string }> } }, n: string) => h.status.containers?.find((c) => c.name === n);
  try {
    await startAgent([]);
    const blind = await env.waitHost('imaged', 'the blind refusal', (h) => (message(h, okName)?.message?.includes('cannot check where they lead') ? h : undefined), 60_000);
    assert.match(message(blind, okName)!.message!, /runs in a container .* does not mount the host's root.*-v \/:\/host:ro/);
    assert.is((await docker(['inspect', okName])).code, 1, 'nothing was created');
    await startAgent(['-v', '/:/host:ro']);
    const h = await env.waitHost('imaged', `${okName} running`, (x) => (message(x, okName)?.state === 'Running' && message(x, escName)?.message ? x : undefined), 60_000)
      .catch(async (err: Error) => { throw new Error(`${err.message}\nagent logs:\n${(await docker(['logs', agentName])).stderr.slice(-3000)}`); });
    assert.match(message(h, escName)!.message!, /resolves through a symlink to "\/etc" on this host/);
    assert.is((await docker(['inspect', escName])).code, 1, 'the escaping one was never created');
  } finally {
    rmSync(shared, { recursive: true, force: true });
  }
});

test('the controller image builds and runs as non-root on a read-only root filesystem', async () => {
  // The production node_modules are prepared on the host: containers have no network to npm ci in.
  await run('bash', [join(repoRoot, 'packaging/prepare-context.sh')], { check: true, timeoutMs: 180_000, env: { ...process.env, BERTH_SKIP_BUILD: '1' } });
  const out = await build('controller', CONTROLLER_IMAGE);
  // The context holds what the image needs and not the dev dependencies.
  const context = /Sending build context to Docker daemon\s+([\d.]+)([kMG]B)/.exec(out);
  assert.ok(context, 'the legacy builder reports the context size');
  const mb = Number(context[1]) * (context[2] === 'GB' ? 1024 : context[2] === 'kB' ? 1 / 1024 : 1);
  assert.ok(mb < 150, `build context is ${context[1]}${context[2]}: is .dockerignore letting node_modules/ (dev) in?`);
  const help = await docker(['run', '--rm', '--read-only', '--cap-drop=ALL', '--security-opt=no-new-privileges', CONTROLLER_IMAGE, '--help']);
  assert.is(help.code, 0, help.stderr);
  assert.match(help.stdout, /berth controller --kube/);
  assert.is(await dockerOk(['image', 'inspect', '-f', '{{.Config.User}} {{json .Config.Entrypoint}}', CONTROLLER_IMAGE]),
    '65532:65532 ["node","/app/bin/berth.js","controller"]', 'the chart passes only flags');
  // Without a cluster it must fail with a clear message, not a stack trace.
  const noCluster = await docker(['run', '--rm', '--read-only', CONTROLLER_IMAGE, '--kube']);
  assert.is.not(noCluster.code, 0);
  assert.match(noCluster.stderr, /no Kubernetes configuration found/);
});

test.run();
