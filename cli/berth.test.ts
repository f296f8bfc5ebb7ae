// The command table: bare `berth` is help (exit 0), unknown verbs are usage errors, and the
// controller's start-up failures read as one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { main, VERB_NAMES } from './berth.js';
import { startError } from './controller.js';

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const [log, error] = [console.log, console.error];
  let out = ''; let err = '';
  console.log = (s: string) => { out += `${s}\n`; };
  console.error = (s: string) => { err += `${s}\n`; };
  try { return { code: await fn(), out, err }; } finally { console.log = log; console.error = error; }
}

test('bare berth prints help and exits 0; every verb is listed', async () => {
  const r = await capture(() => main([]));
  assert.is(r.code, 0);
  for (const v of VERB_NAMES) assert.match(r.out, new RegExp(`\\n  ${v}\\b`));
  assert.is((await capture(() => main(['nope']))).code, 2);
});

test('a usage error names the verb and the hint', async () => {
  const r = await capture(() => main(['get', 'pods']));
  assert.is(r.code, 2);
  assert.is(r.err, 'berth get: unknown resource "pods" (hosts or tokens)\nRun \'berth get --help\' for usage.\n');
});

test('start-up failures: one line for a port in use, a bad address, anything else\'s first line', () => {
  const listen = { host: '127.0.0.1', port: 7070 };
  assert.match(startError(Object.assign(new Error('x'), { code: 'EADDRINUSE' }), listen), /^--listen 127.0.0.1:7070: the address is already in use/);
  assert.match(startError(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' }), { host: '::9', port: 1 }), /^--listen \[::9\]:1: no such address/);
  assert.is(startError(new Error('first\nsecond'), listen), 'first');
});

test.run();
