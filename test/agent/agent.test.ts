// `berth agent` end to end: the CLI entry point with a token file, a stand-in controller (ws server
// on 127.0.0.1:0) and the bed's real dockerd. hello carries the real inventory, apply runs a real
// container, an out-of-band `docker stop` comes back as `observed`, and stopping closes with 1001.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ContainerSpec } from '../../protocol/container.js';
import { PROTOCOL_VERSION, type AgentFrame } from '../../protocol/frames.js';
import { runAgent } from '../../cli/agent.js';
import { docker, dockerOk, eventually, randomToken } from '../support/docker.js';
import { bed } from '../support/testbed.js';
import { removeLeftoversOnExit } from './leftovers.js';

process.env.DOCKER_HOST = bed('DOCKER_HOST');
const prefix = `berth-t-agent-${randomToken()}`;
removeLeftoversOnExit(prefix);
const ns = 'berth-test';
const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
const token = `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify({ sub: `${ns}/${prefix}`, iss: 'berth' })).toString('base64url')}.${randomToken(32)}`;

test.after(async () => {
  // `docker`, not `dockerOk`: a failing listing must not skip the rest of the cleanup.
  const ids = (await docker(['ps', '-aq', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
  rmSync(dir, { recursive: true, force: true });
});

test('runAgent: hello with the real inventory, apply, events → observed, stop → 1001', async () => {
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
  // A container this host already manages, and one of another host that must not show up.
  const preId = await dockerOk(['run', '-d', '--name', `${prefix}-pre`, '--label', 'berth.dev/managed=true', '--label', `berth.dev/host=${ns}/${prefix}`,
    '--label', `berth.dev/name=${prefix}-pre`, '--label', 'berth.dev/spec-hash=old', bed('BERTH_TEST_IMAGE'), 'sleep', '600']);
  await dockerOk(['run', '-d', '--name', `${prefix}-other`, '--label', 'berth.dev/managed=true', '--label', `berth.dev/host=${ns}/someone-else`, bed('BERTH_TEST_IMAGE'), 'sleep', '600']);

  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent/v1/connect' });
  await new Promise((r) => wss.once('listening', r));
  const frames: AgentFrame[] = [];
  let socket: WebSocket | undefined;
  let auth: string | undefined;
  let closeCode: number | undefined;
  wss.on('connection', (ws, req) => {
    socket = ws;
    auth = req.headers.authorization;
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as AgentFrame));
    ws.on('close', (code) => { closeCode = code; });
  });
  const logs: string[] = [];
  let stop!: () => void;
  const until = new Promise<void>((r) => { stop = r; });
  const exit = runAgent(['--url', `http://127.0.0.1:${(wss.address() as AddressInfo).port}`, '--token-file', tokenFile, '--stop-timeout', '10'],
    { until, log: pino({ level: 'debug' }, { write: (s: string) => { logs.push(s); } }) });
  let exitCode: unknown;
  try {
    const hello = await eventually(async () => {
      const h = frames.find((f): f is Extract<AgentFrame, { type: 'hello' }> => f.type === 'hello');
      if (!h) throw new Error('no hello yet');
      return h;
    });
    assert.is(auth, `Bearer ${token}`);
    assert.is(hello.protocolVersion, PROTOCOL_VERSION);
    assert.is(hello.agent.version, '0.1.0');
    assert.ok(hello.docker.ok && hello.docker.cpus > 0);
    assert.equal(hello.containers.map((c) => [c.containerID, c.specHash, c.state]), [[preId, 'old', 'running']]);

    socket!.send(JSON.stringify({ type: 'welcome', protocolVersion: PROTOCOL_VERSION, host: { namespace: ns, name: prefix, uid: 'uid-e2e' }, policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }, resyncSeconds: 300 }));
    const spec: ContainerSpec = {
      name: `${prefix}-web`, image: bed('BERTH_TEST_IMAGE'), imagePullPolicy: 'IfNotPresent', state: 'Running',
      command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'], env: [], ports: [], volumes: [],
      restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false, stopTimeoutSeconds: 1,
      logging: { maxSizeBytes: 1048576, maxFiles: 1 }, specHash: 'e2e-1',
    };
    socket!.send(JSON.stringify({ type: 'apply', id: 'a1', container: spec, policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }, hostUid: 'uid-e2e' }));
    const result = await eventually(async () => {
      const r = frames.find((f): f is Extract<AgentFrame, { type: 'result' }> => f.type === 'result' && f.id === 'a1');
      if (!r) throw new Error('no result yet');
      return r;
    }, 30_000);
    assert.ok(result.ok, JSON.stringify(result.error));
    assert.is(result.container?.state, 'running');
    assert.is(await dockerOk(['inspect', '-f', '{{.State.Running}} {{index .Config.Labels "berth.dev/host-uid"}}', `${prefix}-web`]), 'true uid-e2e');

    // Out-of-band stop → Docker event → debounced `observed` with the new state.
    await dockerOk(['stop', '-t', '1', `${prefix}-web`]);
    const observed = await eventually(async () => {
      const o = frames.filter((f): f is Extract<AgentFrame, { type: 'observed' }> => f.type === 'observed')
        .find((f) => f.containers.some((c) => c.name === `${prefix}-web` && c.state === 'exited'));
      if (!o) throw new Error('no observed with the stopped container yet');
      return o;
    });
    assert.equal(observed.containers.map((c) => c.name).sort(), [`${prefix}-pre`, `${prefix}-web`]);
  } finally {
    // Cleanup only: an assertion here would replace the error that brought us here.
    stop();
    exitCode = await exit;
    await new Promise((r) => wss.close(r));
  }
  assert.is(exitCode, 0, 'the agent exits 0 on SIGTERM');
  await eventually(async () => { if (closeCode === undefined) throw new Error('not closed'); });
  assert.is(closeCode, 1001);
  const text = logs.join('');
  assert.not.ok(text.includes(token.split('.')[2]!), 'the token never reaches the log');
  assert.match(text, /hello sent/);
});

test.run();
