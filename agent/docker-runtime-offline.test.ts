// Without a Docker Engine (the socket does not exist): the runtime reports it and the agent still
// connects, says hello with docker.ok false and answers applies with DockerUnavailable.
import Docker from 'dockerode';
import type { AddressInfo } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer } from 'ws';
import type { AgentFrame } from '../protocol/frames.js';
import { AgentClient } from './client.js';
import { DockerRuntime } from './docker-runtime.js';
import { RuntimeError } from './runtime.js';

const noDocker = () => new DockerRuntime({ hostKey: 'games/box-1', docker: new Docker({ socketPath: '/nonexistent/docker.sock' }) });
const spec = {
  name: 'web', image: 'busybox:1', imagePullPolicy: 'IfNotPresent' as const, state: 'Running' as const, env: [], ports: [], volumes: [],
  restartPolicy: 'Always' as const, network: 'bridge', privileged: false, stopTimeoutSeconds: 1, logging: { maxSizeBytes: 1000, maxFiles: 1 }, specHash: 'h',
};
const policy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] };

test('facts, inventory, apply and remove name Docker as unavailable', async () => {
  const rt = noDocker();
  const facts = await rt.dockerFacts();
  assert.is(facts.ok, false);
  assert.match(!facts.ok ? facts.error : '', /Docker is unavailable .*ENOENT/);
  for (const call of [() => rt.inventory(), () => rt.apply(spec, { policy, hostUid: 'u' }), () => rt.remove('web')]) {
    try { await call(); assert.unreachable(); } catch (err) {
      assert.instance(err, RuntimeError);
      assert.is((err as RuntimeError).code, 'DockerUnavailable');
    }
  }
  // Policy is still checked first, Docker or not.
  try { await rt.apply({ ...spec, privileged: true }, { policy, hostUid: 'u' }); assert.unreachable(); } catch (err) {
    assert.is((err as RuntimeError).code, 'PolicyViolation');
  }
});

test('the agent connects anyway: hello with docker.ok false, apply → DockerUnavailable', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent/v1/connect' });
  await new Promise((r) => wss.once('listening', r));
  const frames: AgentFrame[] = [];
  wss.on('connection', (ws) => {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as AgentFrame;
      frames.push(f);
      if (f.type === 'hello') ws.send(JSON.stringify({ type: 'apply', id: 'a1', container: spec, policy, hostUid: 'u' }));
    });
  });
  const client = new AgentClient({
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, token: () => 'x.eyJzdWIiOiJnYW1lcy9ib3gtMSJ9.y',
    runtime: noDocker(), agent: { version: '0', hostname: 'h', os: 'linux', arch: 'x64' },
  });
  client.start();
  try {
    const end = Date.now() + 5000;
    while (!frames.some((f) => f.type === 'result') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    const hello = frames.find((f): f is Extract<AgentFrame, { type: 'hello' }> => f.type === 'hello')!;
    assert.is(hello.docker.ok, false);
    assert.equal(hello.containers, []);
    const result = frames.find((f): f is Extract<AgentFrame, { type: 'result' }> => f.type === 'result')!;
    assert.is(result.ok, false);
    assert.is(result.error?.code, 'DockerUnavailable');
  } finally {
    await client.stop(1000);
    await new Promise((r) => wss.close(r));
  }
});

test.run();
