import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until as wait } from '../test/support/wait.js';
import { Backoff } from '../protocol/backoff.js';
import { sinceOf, watchEvents } from './docker-events.js';

/** Resolve once COND holds, or fail after 5 s (the shared wait, test/support/wait.ts). */
const until = (cond: () => boolean, what: string) => wait(what, cond, 5000);

test('sinceOf keeps nanosecond precision', () => {
  assert.is(sinceOf({ time: 1700000000, timeNano: 1700000000123456789 }), '1700000000.123456768'); // float64 rounding of the JSON number
  assert.is(sinceOf({ time: 1700000000 }), '1700000000');
  assert.is(sinceOf({}), undefined);
});

test('events (split across chunks) are debounced into one change; a broken stream re-subscribes with since', async () => {
  const streams: PassThrough[] = [];
  const sinces: Array<string | undefined> = [];
  let changes = 0;
  const errors: string[] = [];
  const w = watchEvents({
    subscribe: async (since) => { sinces.push(since); const s = new PassThrough(); streams.push(s); return s; },
    onChange: () => { changes++; },
    onError: (m) => errors.push(m),
    debounceMs: 20,
    backoff: new Backoff({ baseMs: 1, capMs: 5 }),
  });
  await until(() => changes === 1, 'the change reported on subscription');
  const s0 = streams[0]!;
  s0.write('{"status":"stop","time":1700000001,"timeNano":1700000001000000000}\n{"status":"die",');
  s0.write('"time":1700000002}\n');
  await until(() => changes === 2, 'one debounced change for two events');
  s0.end();                                            // dockerd restarted
  await until(() => streams.length === 2 && changes === 3, 're-subscription and its change');
  assert.equal(sinces, [undefined, '1700000002']);
  assert.match(errors.join('\n'), /ended/);
  streams[1]!.destroy(new Error('socket hang up'));   // an error is handled like an end
  await until(() => streams.length === 3, 'second re-subscription');
  w.close();
  await new Promise((r) => setTimeout(r, 30));
  assert.is(streams.length, 3, 'no subscription after close');
  assert.ok(streams[2]!.destroyed, 'close destroys the open stream');
});

test('subscribe failures (no daemon) are retried with backoff until it works', async () => {
  let attempts = 0;
  let changes = 0;
  const w = watchEvents({
    subscribe: async () => { if (++attempts < 4) throw Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' }); return new PassThrough(); },
    onChange: () => { changes++; },
    debounceMs: 1,
    backoff: new Backoff({ baseMs: 2, capMs: 4 }),
  });
  await until(() => changes === 1, 'the change once Docker is back');
  assert.is(attempts, 4);
  w.close();
});

test.run();
