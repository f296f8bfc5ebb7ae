import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { KeyedLimiter, upgradeLimit } from './request-limits.js';

test('a burst goes through, then one per 1/perSecond; each key has its own bucket', () => {
  let now = 0;
  const l = new KeyedLimiter({ perSecond: 0.5, burst: 3 }, () => now);
  assert.equal([l.take('a'), l.take('a'), l.take('a')], [0, 0, 0]);
  assert.is(l.take('a'), 2000, 'empty: the next token in 2 s');
  assert.is(l.take('b'), 0, 'another client is not slowed');
  now = 2000;
  assert.is(l.take('a'), 0);
  assert.ok(l.take('a') > 0);
});

test('the number of buckets is bounded (the least recently used go)', () => {
  const l = new KeyedLimiter({ perSecond: 1, burst: 1 }, () => 0, 100);
  for (let i = 0; i < 1000; i++) l.take(`k${i}`);
  assert.is(l.size, 100);
});

test('upgrades with a bearer token are limited per address (429 + Retry-After); the agent endpoint and anonymous ones are not', () => {
  const written: string[] = [];
  const socket = () => ({ destroyed: false, on() {}, once() {}, end(t: string) { written.push(t); } }) as unknown as Duplex;
  const req = (url: string, auth = true) => ({ url, headers: auth ? { authorization: 'Bearer x' } : {}, socket: { remoteAddress: '10.0.0.9' } }) as unknown as IncomingMessage;
  const check = upgradeLimit({ bearer: { perSecond: 1, burst: 2 }, now: () => 0, exempt: ['/agent/v1/connect'] });
  assert.ok(check(req('/api/v1/logs/ws?x=1'), socket()));
  assert.ok(check(req('/api/v1/logs/ws?x=1'), socket()));
  assert.not.ok(check(req('/api/v1/logs/ws?x=1'), socket()));
  assert.match(written[0] ?? '', /^HTTP\/1\.1 429 [\s\S]*Retry-After: 1/);
  for (let i = 0; i < 10; i++) assert.ok(check(req('/agent/v1/connect'), socket()), 'agents are not limited here');
  assert.ok(check(req('/api/v1/logs/ws', false), socket()), 'no bearer, no bearer limit');
});

test.run();
