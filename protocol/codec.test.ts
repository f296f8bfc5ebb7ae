import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { agentFrameDecoder, controllerFrameDecoder } from './codec.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from './frames.js';

const agent = agentFrameDecoder();
const controller = controllerFrameDecoder();

const observed = { name: 'web', containerID: 'abc', image: 'nginx:1', imageID: 'sha256:1', state: 'running', health: 'none', restartCount: 0, specHash: 'h1' };
const spec = {
  name: 'web', image: 'nginx:1', imagePullPolicy: 'IfNotPresent', state: 'Running', env: [{ name: 'A', value: '1' }],
  ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }], volumes: [{ volume: 'v', mountPath: '/v', readOnly: false }],
  restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false, stopTimeoutSeconds: 10,
  logging: { maxSizeBytes: 10485760, maxFiles: 3 }, specHash: 'h1',
};
const policy = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] };

test('every agent frame type decodes', () => {
  const frames = [
    { type: 'hello', protocolVersion: PROTOCOL_VERSION, agent: { version: '0.1.0', hostname: 'h', os: 'linux', arch: 'x64' }, docker: { ok: true, version: '20.10', cpus: 2, memoryBytes: 1 }, containers: [observed] },
    { type: 'hello', protocolVersion: PROTOCOL_VERSION, agent: { version: '0.1.0', hostname: 'h', os: 'linux', arch: 'x64' }, docker: { ok: false, error: 'connect ENOENT' }, containers: [] },
    { type: 'observed', docker: { ok: true, version: '20.10', cpus: 2, memoryBytes: 1 }, containers: [observed] },
    { type: 'result', id: '1', ok: true, container: observed },
    { type: 'result', id: '2', ok: false, error: { code: 'NameConflict', message: 'taken' } },
    { type: 'log', stream: 's1', entries: [{ t: '2026-01-01T00:00:00Z', s: 'out', l: 'hello' }] },
    { type: 'logEnd', stream: 's1' },
    { type: 'error', code: 'invalid', message: 'x' },
  ];
  for (const f of frames) assert.ok(agent.decode(JSON.stringify(f)).ok, f.type);
});

test('every controller frame type decodes', () => {
  const frames = [
    { type: 'welcome', protocolVersion: 1, host: { namespace: 'ns', name: 'h', uid: 'u' }, policy, resyncSeconds: 300 },
    { type: 'apply', id: '1', container: spec, policy, hostUid: 'u', pullAuth: { serveraddress: '127.0.0.1:5000', username: 'u', password: 'p' } },
    { type: 'remove', id: '2', name: 'web' },
    { type: 'logs', stream: 's', name: 'web', tail: 100, follow: true },
    { type: 'logs', stream: 's', name: 'web', tail: 1000, follow: true, since: '2026-11-29T10:00:00.000000001Z' },
    { type: 'logsCancel', stream: 's' },
  ];
  for (const f of frames) assert.ok(controller.decode(JSON.stringify(f)).ok, f.type);
});

test('logs.since is optional but never empty', () => {
  const r = controller.decode(JSON.stringify({ type: 'logs', stream: 's', name: 'web', tail: 1, follow: true, since: '' }));
  assert.not.ok(r.ok);
  if (!r.ok) assert.match(r.message, /logs\.since/);
});

test('bad frames are refused with a code and a message naming the problem', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['{', 'bad_json', /not JSON/],
    ['[]', 'unknown_type', /unknown frame type/],
    ['null', 'unknown_type', /unknown frame type/],
    ['42', 'unknown_type', /unknown frame type/],
    ['{"type":"launch"}', 'unknown_type', /"launch"/],
    ['{"type":"result","id":"7"}', 'invalid', /result .*must have required property 'ok'/],
    ['{"type":"result","id":"7","ok":true,"extra":1}', 'invalid', /"extra"/],
    ['{"type":"log","stream":"s","entries":[{"t":"x","s":"tty","l":"a"}]}', 'invalid', /result|log\.entries\.0\.s/],
  ];
  for (const [raw, code, message] of cases) {
    const r = agent.decode(raw);
    assert.not.ok(r.ok, raw);
    if (!r.ok) { assert.is(r.code, code, raw); assert.match(r.message, message, raw); }
  }
  const invalid = agent.decode('{"type":"result","id":"7"}');
  assert.is(!invalid.ok && invalid.id, '7', 'the id of an invalid frame is kept for the error reply');
  const big = agent.decode(JSON.stringify({ type: 'error', code: 'x', message: 'y'.repeat(MAX_FRAME_BYTES) }));
  assert.is(!big.ok && big.code, 'too_large');
});

test('decoders are shared per direction, and one decode leaves nothing behind for the next', () => {
  assert.ok(controllerFrameDecoder() === controllerFrameDecoder(), 'compiled once per process');
  assert.ok(agentFrameDecoder() === agentFrameDecoder());
  assert.ok((agentFrameDecoder() as unknown) !== (controllerFrameDecoder() as unknown));
  const a = controllerFrameDecoder(); const b = controllerFrameDecoder();
  const bad = a.decode(JSON.stringify({ type: 'remove', id: 'x1' }));
  assert.is(bad.ok, false);
  const good = b.decode(JSON.stringify({ type: 'remove', id: 'x2', name: 'web' }));
  assert.ok(good.ok, 'a failed decode on one client does not spoil the next on another');
  const badAgain = b.decode(JSON.stringify({ type: 'remove', id: 'x3' }));
  assert.equal(badAgain.ok ? undefined : badAgain.message, bad.ok ? undefined : bad.message);
});

test('exec and restart frames decode; bad data, sizes and credits are refused naming the field', () => {
  const ok = (d: typeof agent | typeof controller, f: object) => assert.ok(d.decode(JSON.stringify(f)).ok, JSON.stringify(f));
  const bad = (d: typeof agent | typeof controller, f: object, re: RegExp) => {
    const r = d.decode(JSON.stringify(f));
    assert.not.ok(r.ok);
    if (!r.ok) assert.match(r.message, re);
  };
  ok(controller, { type: 'restart', id: 'r1', name: 'web', startedAt: '2026-12-01T08:00:00.123456789Z' });
  ok(controller, { type: 'execStart', id: 'e1', container: 'web', cmd: ['sh', '-c', 'ls'], tty: true, stdin: true, rows: 24, cols: 80 });
  ok(controller, { type: 'execInput', id: 'e1', data: Buffer.from('ls\n').toString('base64') });
  ok(controller, { type: 'execInput', id: 'e1', eof: true });
  ok(controller, { type: 'execResize', id: 'e1', rows: 40, cols: 120 });
  ok(controller, { type: 'execCancel', id: 'e1' });
  ok(controller, { type: 'execCredit', id: 'e1', bytes: 65536 });
  ok(agent, { type: 'execOutput', id: 'e1', stream: 'err', data: Buffer.alloc(65536).toString('base64') });
  ok(agent, { type: 'execEnd', id: 'e1', exitCode: 127 });
  ok(agent, { type: 'execEnd', id: 'e1', error: { code: 'ExecDisabled', message: 'no' } });
  ok(agent, { type: 'execCredit', id: 'e1', bytes: 1 });
  bad(agent, { type: 'execOutput', id: 'e1', stream: 'out', data: 'not base64!' }, /execOutput\.data must match pattern/);
  bad(agent, { type: 'execOutput', id: 'e1', stream: 'out', data: Buffer.alloc(65540).toString('base64') }, /execOutput\.data must NOT have more than/);
  bad(controller, { type: 'execStart', id: 'e1', container: 'web', cmd: [], tty: false, stdin: false }, /execStart\.cmd must NOT have fewer than 1 items/);
  bad(controller, { type: 'execCredit', id: 'e1', bytes: 0 }, /execCredit\.bytes must be >= 1/);
  bad(controller, { type: 'execResize', id: 'e1', rows: 0, cols: 80 }, /execResize\.rows/);
  bad(controller, { type: 'restart', id: 'r1', name: 'web' }, /must have required property 'startedAt'/);
});

test('random bytes never throw', () => {
  for (let i = 0; i < 2000; i++) {
    const raw = i % 2 ? randomBytes(i % 300) : `{"type":"${['hello', 'result', 'log'][i % 3]}",${randomBytes(20).toString('latin1')}}`;
    const r = agent.decode(raw);
    assert.is(r.ok, false);
  }
});

test('a deeply nested "type" is refused, never a stack overflow (found by test/chaos fuzzing)', () => {
  for (const depth of [10, 20_000, 100_000]) {
    const raw = `{"type":${'['.repeat(depth)}1${']'.repeat(depth)},"id":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    for (const decoder of [agent, controller]) {
      const r = decoder.decode(raw);
      assert.is(r.ok, false);
      if (!r.ok) {
        assert.is(r.code, 'unknown_type');
        assert.ok(r.message.length < 400, 'the message stays short');
      }
    }
  }
});

test.run();
