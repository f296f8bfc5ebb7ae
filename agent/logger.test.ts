// The agent's JSON-lines logger writes what pino wrote for the same calls (level numbers, time, base
// and child bindings, fields, msg), drops lines below its level, and never loses a line to a field
// JSON cannot hold.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import { createLogger, silentLogger, type AgentLogger } from './logger.js';

function capture(level: 'trace' | 'info' | 'warn' | 'silent'): { log: AgentLogger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const log = createLogger({ level, base: { component: 'agent', host: 'ns/box' }, write: (l) => out.push(l), now: () => 1_700_000_000_000 });
  return { log, lines: () => out.map((l) => { assert.ok(l.endsWith('}\n'), `one line: ${l}`); return JSON.parse(l) as Record<string, unknown>; }) };
}

test('the same line as pino for the same call: level number, time, bindings, fields, msg', () => {
  const { log, lines } = capture('info');
  log.info({ url: 'ws://x', allowExec: false }, 'berth agent starting');
  log.child({ component: 'logs' }).warn({ name: 'web' }, 'stream ended');
  log.error('plain');
  const pinoOut: string[] = [];
  const p = pino({ level: 'info', base: { component: 'agent', host: 'ns/box' }, timestamp: () => ',"time":1700000000000' }, { write: (s: string) => { pinoOut.push(s); } });
  p.info({ url: 'ws://x', allowExec: false }, 'berth agent starting');
  p.child({ component: 'logs' }).warn({ name: 'web' }, 'stream ended');
  p.error('plain');
  // pino repeats a rebound key ("component" twice); JSON.parse keeps the last one, as ours does.
  assert.equal(lines(), pinoOut.map((l) => JSON.parse(l) as Record<string, unknown>));
  assert.equal(lines()[1], { level: 40, time: 1_700_000_000_000, component: 'logs', host: 'ns/box', name: 'web', msg: 'stream ended' });
});

test('lines below the level are dropped; silent drops all', () => {
  const warn = capture('warn');
  warn.log.info('no'); warn.log.debug({ a: 1 }, 'no'); warn.log.warn('yes'); warn.log.fatal('yes too');
  assert.equal(warn.lines().map((l) => [l.level, l.msg]), [[40, 'yes'], [60, 'yes too']]);
  const trace = capture('trace');
  trace.log.trace('t');
  assert.equal(trace.lines().map((l) => l.level), [10]);
  const silent = capture('silent');
  silent.log.fatal('no'); silent.log.child({ x: 1 }).error('no');
  assert.equal(silent.lines(), []);
  silentLogger.error('nowhere');
});

test('errors are serialized like pino\'s (type, message, stack, own fields); a cycle costs the fields, not the line', () => {
  const { log, lines } = capture('info');
  const err = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  log.error({ err }, 'docker unavailable');
  log.error(err);
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  log.warn(cyclic, 'still here');
  log.info({ big: 10n, nothing: undefined }, 'bigint');
  const [a, b, c, d] = lines();
  assert.equal(a!.err, { code: 'ECONNREFUSED', type: 'Error', message: 'connect ECONNREFUSED', stack: err.stack });
  assert.is(a!.msg, 'docker unavailable');
  assert.is((b!.err as { message: string }).message, 'connect ECONNREFUSED');
  assert.is(b!.msg, 'connect ECONNREFUSED');
  assert.is(c!.msg, 'still here');
  assert.match(String(c!.logFieldsError), /circular/i);
  assert.equal(d, { level: 30, time: 1_700_000_000_000, component: 'agent', host: 'ns/box', big: '10', msg: 'bigint' });
});

test('a pino Logger is an AgentLogger (the tests and the simulated fleet pass pino)', () => {
  const out: string[] = [];
  const asAgent: AgentLogger = pino({ level: 'info' }, { write: (s: string) => { out.push(s); } });
  asAgent.child({ component: 'x' }).info({ a: 1 }, 'hi');
  assert.is(out.length, 1);
});

test.run();
