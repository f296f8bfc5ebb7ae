import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NdjsonSplitter } from './ndjson.js';

const values = (items: ReturnType<NdjsonSplitter['push']>) => items.map((i) => (i.ok ? i.value : `ERR ${i.line}`));

test('several lines in one chunk, a line across chunks, CRLF, blank lines', () => {
  const s = new NdjsonSplitter();
  assert.equal(values(s.push('{"a":1}\n{"b":2}\n{"c"')), [{ a: 1 }, { b: 2 }]);
  assert.equal(values(s.push(':3}\r\n\n')), [{ c: 3 }]);
  assert.equal(values(s.push('{"d":4}')), []);
  assert.equal(values(s.end()), [{ d: 4 }], 'a last line without newline comes out at the end');
  assert.equal(values(s.end()), []);
});

test('a multi-byte character split across buffers', () => {
  const s = new NdjsonSplitter();
  const bytes = Buffer.from('{"x":"é"}\n');
  const cut = bytes.indexOf(0xc3) + 1;
  assert.equal(values(s.push(bytes.subarray(0, cut))), []);
  assert.equal(values(s.push(bytes.subarray(cut))), [{ x: 'é' }]);
});

test('a malformed line is reported, not thrown, and the next line still parses', () => {
  const s = new NdjsonSplitter();
  const items = s.push('{oops\n{"ok":true}\n');
  assert.is(items.length, 2);
  assert.is(items[0]!.ok, false);
  assert.equal(items[1], { ok: true, value: { ok: true } });
});

test.run();
