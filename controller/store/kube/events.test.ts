import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pino } from 'pino';
import type { KubeApi } from '../../kube/api.js';
import { EventRecorder } from './events.js';

/** An api whose createEvent answers only when released, counting what is in flight. */
function slowApi() {
  const s = { messages: [] as string[], inFlight: 0, peak: 0, created: 0, release: [] as (() => void)[] };
  const api = {
    async createEvent(_what: string, _ns: string, body: { message: string }) {
      s.messages.push(body.message);
      s.inFlight++; s.peak = Math.max(s.peak, s.inFlight);
      await new Promise<void>((r) => s.release.push(r));
      s.inFlight--; s.created++;
      return {};
    },
    async mergePatchEvent() { return {}; },
  };
  return { api: api as unknown as KubeApi, s };
}

test('at most 4 Event writes in flight; every one is written in the end', async () => {
  const { api, s } = slowApi();
  const rec = new EventRecorder({ api, log: pino({ level: 'silent' }), instance: 't' });
  for (let i = 0; i < 10; i++) rec.record({ kind: 'ContainerHost', namespace: 'a', name: `h${i}` }, { type: 'Normal', reason: 'Creating', message: `c${i}` });
  const drain = (async () => { while (s.created < 10) { await new Promise((r) => setTimeout(r, 1)); s.release.splice(0).forEach((r) => r()); } })();
  await drain;
  await rec.idle();
  assert.is(s.created, 10);
  assert.is(s.peak, 4);
});

test('events of one object and reason that wait for their turn join into one Event (other reasons and objects stay apart)', async () => {
  const { api, s } = slowApi();
  const rec = new EventRecorder({ api, log: pino({ level: 'silent' }), instance: 't' });
  const target = { kind: 'ContainerHost', namespace: 'a', name: 'h' } as const;
  rec.record(target, { type: 'Normal', reason: 'Creating', message: 'c0: creating' });   // written at once
  await new Promise((r) => setTimeout(r, 1));   // its write has started
  for (let i = 1; i < 10; i++) rec.record(target, { type: 'Normal', reason: 'Creating', message: `c${i}: creating` });   // wait: one batch
  rec.record(target, { type: 'Warning', reason: 'Failed', message: 'c3: failed' });   // another reason: its own
  const drain = (async () => { while (s.inFlight || s.created < 3) { await new Promise((r) => setTimeout(r, 1)); s.release.splice(0).forEach((r) => r()); } })();
  await drain;
  await rec.idle();
  assert.is(s.created, 3);
  assert.ok(s.messages.includes('c0: creating'));
  assert.ok(s.messages.includes('c1: creating; c2: creating; c3: creating; c4: creating; c5: creating; c6: creating; c7: creating; c8: creating; c9: creating'), s.messages.join(' | '));
  assert.ok(s.messages.includes('c3: failed'));
});

test.run();
