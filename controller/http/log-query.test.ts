import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { originAllowed, parseLogQuery } from './log-query.js';

const q = (s: string) => parseLogQuery(new URLSearchParams(s));

test('a good query, with the default and an explicit tail', () => {
  assert.equal(q('namespace=games&host=box-1&container=web'), { ok: true, query: { namespace: 'games', host: 'box-1', container: 'web', tail: 200 } });
  assert.equal(q('namespace=games&host=box.example&container=web&tail=0'), { ok: true, query: { namespace: 'games', host: 'box.example', container: 'web', tail: 0 } });
  const r = q('namespace=games&host=box-1&container=web&tail=1000');
  assert.ok(r.ok && r.query.tail === 1000);
});

test('every bad parameter is named', () => {
  const cases: Array<[string, string]> = [
    ['host=h&container=c', 'namespace'],
    ['namespace=&host=h&container=c', 'namespace'],
    ['namespace=Games&host=h&container=c', 'namespace'],
    ['namespace=n&container=c', 'host'],
    ['namespace=n&host=-h&container=c', 'host'],
    ['namespace=n&host=h', 'container'],
    ['namespace=n&host=h&container=a_b', 'container'],
    ['namespace=n&host=h&container=c&tail=1001', 'tail'],
    ['namespace=n&host=h&container=c&tail=-1', 'tail'],
    ['namespace=n&host=h&container=c&tail=ten', 'tail'],
    ['namespace=n&host=h&container=c&container=d', 'container'],
    ['namespace=n&host=h&container=c&token=abc', 'token'],
  ];
  for (const [query, param] of cases) {
    const r = q(query);
    assert.ok(!r.ok, query);
    if (!r.ok) { assert.is(r.param, param, query); assert.ok(r.message.includes(`"${param}"`), r.message); }
  }
});

test('Origin must name this server; no Origin (not a browser) is fine', () => {
  assert.ok(originAllowed(undefined, '127.0.0.1:7070'));
  assert.ok(originAllowed('http://127.0.0.1:7070', '127.0.0.1:7070'));
  assert.ok(originAllowed('https://Berth.Example.com', 'berth.example.com:443'));
  assert.ok(originAllowed('http://berth.example.com', 'berth.example.com'));
  assert.not.ok(originAllowed('http://evil.example', '127.0.0.1:7070'));
  assert.not.ok(originAllowed('http://127.0.0.1:7071', '127.0.0.1:7070'));
  assert.not.ok(originAllowed('null', '127.0.0.1:7070'));
  assert.not.ok(originAllowed('file:///x', '127.0.0.1:7070'));
  assert.not.ok(originAllowed('http://127.0.0.1:7070', undefined));
});

test.run();
