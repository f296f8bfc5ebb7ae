import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HelloFrame, ObservedFrame, ResultFrame } from '../../protocol/frames.js';
import { AGENT_TEXT_CAPS, cleanAgentFrame, cleanAgentText } from './agent-text.js';

const ESC = '\u001b';

test('control characters, escape codes and bidi overrides are stripped; breaks become spaces', () => {
  assert.is(cleanAgentText(`${ESC}[2J${ESC}[31mred${ESC}[0m`, 100), '[2J[31mred[0m');
  assert.is(cleanAgentText('a\r\nb\tc\u0000d\u0007e\u009bf', 100), 'a b cdef');
  assert.is(cleanAgentText('evil\u202egnp.exe', 100), 'evilgnp.exe');
  assert.is(cleanAgentText('ünïcødé ✓', 100), 'ünïcødé ✓');
});

test('long strings are capped with an ellipsis', () => {
  const s = cleanAgentText('x'.repeat(5000), 10);
  assert.is(s.length, 10);
  assert.ok(s.endsWith('…'));
});

test('frames: hello, observed and result strings are cleaned and capped', () => {
  const c = { name: `web${ESC}]0;pwned\u0007`, containerID: 'id', image: 'i'.repeat(9000), imageID: 'sha', state: 'running' as const, health: 'none' as const, restartCount: 0, specHash: `h${ESC}[1m` };
  const hello = cleanAgentFrame({ type: 'hello', protocolVersion: 1, agent: { version: '1', hostname: `box${ESC}[2J`.padEnd(255, 'y'), os: 'linux', arch: 'x64' }, docker: { ok: false, error: `boom\n${ESC}[5m` }, containers: [c] } as HelloFrame) as HelloFrame;
  assert.ok(!hello.agent.hostname.includes(ESC));
  assert.ok(hello.agent.hostname.length <= AGENT_TEXT_CAPS.hostname);
  assert.equal(hello.docker, { ok: false, error: 'boom [5m' });
  assert.is(hello.containers[0]!.name, 'web]0;pwned');
  assert.is(hello.containers[0]!.image.length, AGENT_TEXT_CAPS.image);
  assert.is(hello.containers[0]!.specHash, 'h[1m');
  const observed = cleanAgentFrame({ type: 'observed', docker: { ok: true, version: `27${ESC}`, cpus: 1, memoryBytes: 1 }, containers: [c] } as ObservedFrame) as ObservedFrame;
  assert.equal(observed.docker, { ok: true, version: '27', cpus: 1, memoryBytes: 1 });
  const result = cleanAgentFrame({ type: 'result', id: 'a', ok: false, error: { code: 'X', message: `${ESC}[2Jfailed`.repeat(1000) } } as ResultFrame) as ResultFrame;
  assert.ok(result.error!.message.length <= AGENT_TEXT_CAPS.message);
  assert.ok(!result.error!.message.includes(ESC));
});

test.run();
