// The two halves of the protocol together: the real agent (AgentClient + DockerRuntime on the bed's
// dockerd) against the real controller hub (controller/hub) with real minted tokens. Proves the
// contract end to end: hello → welcome → dispatch(apply) → result → container running; Docker
// event → observed; revocation → 4003, then HTTP 401 "token refused" on the next attempt.
import Docker from 'dockerode';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerSpec, ObservedContainer } from '../../protocol/container.js';
import type { ObservedFrame } from '../../protocol/frames.js';
import { Backoff } from '../../protocol/backoff.js';
import { AgentClient, type DisconnectInfo } from '../../agent/client.js';
import { DockerRuntime } from '../../agent/docker-runtime.js';
import { readTokenClaims } from '../../agent/token.js';
import { splitKey, type AgentToken } from '../../controller/api/types.js';
import { mintAgentToken } from '../../controller/tokens/mint.js';
import { generateSigningKey, importSigningKey } from '../../controller/tokens/signing-key.js';
import { verifyAgentToken } from '../../controller/tokens/verify.js';
import { docker, dockerOk, eventually, randomToken } from '../support/docker.js';
import { startHubServer } from '../support/hub-server.js';
import { bed } from '../support/testbed.js';
import { removeLeftoversOnExit } from './leftovers.js';

process.env.DOCKER_HOST = bed('DOCKER_HOST');
const prefix = `berth-t-agent-${randomToken()}`;
removeLeftoversOnExit(prefix);
const policy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] };

test.after(async () => {
  // `docker`, not `dockerOk`: a failing listing must not skip the rest of the cleanup.
  const ids = (await docker(['ps', '-aq', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
});

test('agent ↔ hub: apply, observed, revocation', async () => {
  const key = await importSigningKey(await generateSigningKey());
  const token: AgentToken = {
    apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken',
    metadata: { name: prefix, namespace: 'berth-test', uid: `uid-${prefix}`, generation: 1 },
    spec: { hostRef: { name: prefix } },
  };
  const tokens = [token];
  const { jwt } = await mintAgentToken(token, key);
  const hostKey = readTokenClaims(jwt).sub;
  assert.is(hostKey, `berth-test/${prefix}`);

  const silent = pino({ level: 'silent' });
  const served = await startHubServer({
    logger: silent,
    authenticate: (t) => verifyAgentToken(t, { publicKeys: [key], lookupTokenByUid: (uid) => tokens.find((x) => x.metadata.uid === uid) }),
    welcomeFor: (k) => ({ host: { ...splitKey(k), uid: 'host-uid-1' }, policy, resyncSeconds: 300 }),
  });
  const { hub } = served;
  const observed: ObservedFrame[] = [];
  hub.on('observed', (_k, f) => observed.push(f));

  const logLines: string[] = [];
  const client = new AgentClient({
    url: served.base, token: () => jwt,
    runtime: new DockerRuntime({ hostKey, docker: new Docker(), eventDebounceMs: 50 }),
    agent: { version: '0.1.0', hostname: 'contract', os: 'linux', arch: 'x64' },
    log: pino({ level: 'info' }, { write: (s: string) => { logLines.push(s); } }),
    backoff: new Backoff({ baseMs: 10, capMs: 50 }), refusedRetryMs: 50,
  });
  const disconnects: DisconnectInfo[] = [];
  client.on('disconnected', (d: DisconnectInfo) => disconnects.push(d));
  client.start();
  try {
    await eventually(async () => { if (!hub.isConnected(hostKey) || !client.welcome) throw new Error('not welcomed yet'); });
    assert.is(client.welcome?.host.uid, 'host-uid-1');

    const spec: ContainerSpec = {
      name: `${prefix}-web`, image: bed('BERTH_TEST_IMAGE'), imagePullPolicy: 'IfNotPresent', state: 'Running',
      command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'], env: [{ name: 'A', value: '1' }], ports: [], volumes: [],
      restartPolicy: 'Always', network: 'bridge', privileged: false, stopTimeoutSeconds: 1,
      logging: { maxSizeBytes: 1048576, maxFiles: 1 }, specHash: 'c1',
    };
    const result = await hub.dispatch(hostKey, { type: 'apply', container: spec, policy, hostUid: 'host-uid-1' }, { timeoutMs: 60_000 });
    assert.ok(result.ok, JSON.stringify(result.error));
    assert.is(result.container?.state, 'running');
    assert.is(await dockerOk(['inspect', '-f', '{{.State.Running}}', `${prefix}-web`]), 'true');

    const refused = await hub.dispatch(hostKey, { type: 'apply', container: { ...spec, name: `${prefix}-priv`, privileged: true }, policy, hostUid: 'host-uid-1' });
    assert.is(refused.ok, false);
    assert.is(refused.error?.code, 'PolicyViolation');

    await dockerOk(['stop', '-t', '1', `${prefix}-web`]);
    await eventually(async () => {
      const last = observed.at(-1)?.containers.find((c: ObservedContainer) => c.name === `${prefix}-web`);
      if (last?.state !== 'exited') throw new Error('no observed with the stopped container yet');
    });

    // Revocation: the token is gone and its session closed 4003; the next attempt is refused (401).
    tokens.splice(0);
    assert.is(hub.disconnectToken(token.metadata.uid!, 4003, 'token revoked'), 1);
    await eventually(async () => { if (!disconnects.some((d) => d.code === 4003) || !disconnects.some((d) => d.httpStatus === 401)) throw new Error(JSON.stringify(disconnects)); });
    const text = logLines.join('');
    assert.match(text, /revoked this agent's token \(4003\)/);
    assert.match(text, /token refused by the controller \(HTTP 401/);
    assert.not.ok(text.includes(jwt.split('.')[2]!), 'no token in the agent log');
  } finally {
    await client.stop(5000);
    await served.close();
  }
});

test.run();
