import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LineSplitter, MAX_LINE_CHARS, TRUNCATED_MARKER } from './log-lines.js';

const T1 = '2026-11-29T10:00:00.000000001Z';
const T2 = '2026-11-29T10:00:00.000000002Z';
const NOW = '2026-11-29T12:00:00.000000000Z';
const msg = (t: string, text: string) => Buffer.from(`${t} ${text}`);
const lines = (entries: Array<{ t: string; s: string; l: string }>) => entries.map((e) => `${e.t}|${e.s}|${e.l}`);

test('message mode: one message per line, timestamp split off, \\r\\n handled', () => {
  const s = new LineSplitter('err', MAX_LINE_CHARS, () => NOW);
  assert.equal(lines(s.pushMessage(msg(T1, 'hello\n'))), [`${T1}|err|hello`]);
  assert.equal(lines(s.pushMessage(msg(T2, 'crlf\r\n'))), [`${T2}|err|crlf`]);
  assert.equal(lines(s.pushMessage(msg(T2, '\n'))), [`${T2}|err|`], 'an empty line is a line');
  assert.equal(s.end(), []);
});

test('message mode: a long line in pieces (Docker splits at 16 KiB) keeps the first timestamp and no inner ones', () => {
  const s = new LineSplitter('out');
  assert.equal(s.pushMessage(msg(T1, 'a'.repeat(16384))), []);
  const out = s.pushMessage(msg(T2, 'bbb\n'));
  assert.is(out.length, 1);
  assert.is(out[0]!.t, T1);
  assert.is(out[0]!.l, `${'a'.repeat(16384)}bbb`);
});

test('message mode: a message without timestamp gets the current time; the last partial line comes out at the end', () => {
  const s = new LineSplitter('out', MAX_LINE_CHARS, () => NOW);
  assert.equal(s.pushMessage(Buffer.from('no stamp')), []);
  assert.equal(lines(s.end()), [`${NOW}|out|no stamp`]);
});

test('a multi-byte character split across messages stays whole', () => {
  const s = new LineSplitter('out');
  const bytes = Buffer.from(`${T1} grüße\n`);
  const cut = bytes.indexOf(0xc3) + 1;   // inside "ü"
  assert.equal(s.pushMessage(bytes.subarray(0, cut)), []);
  assert.equal(lines(s.pushMessage(bytes.subarray(cut))), [`${T1}|out|grüße`]);
});

test('raw (TTY) mode: lines cut anywhere, each with its own timestamp', () => {
  const text = `${T1} first\r\n${T2} second\r\n${T2} third`;
  for (let cut = 1; cut < text.length; cut++) {
    const s = new LineSplitter('out');
    const got = [...s.pushRaw(Buffer.from(text.slice(0, cut))), ...s.pushRaw(Buffer.from(text.slice(cut))), ...s.end()];
    assert.equal(lines(got), [`${T1}|out|first`, `${T2}|out|second`, `${T2}|out|third`], `cut at ${cut}`);
  }
});

test('a line over the cap is cut, marked, and its rest discarded up to the newline', () => {
  const cap = 100;
  const s = new LineSplitter('out', cap);
  const first = s.pushMessage(msg(T1, 'x'.repeat(80)));
  assert.equal(first, []);
  const cut = s.pushMessage(msg(T1, 'y'.repeat(80)));
  assert.is(cut.length, 1);
  assert.is(cut[0]!.l.length, cap);
  assert.ok(cut[0]!.l.endsWith(TRUNCATED_MARKER));
  assert.ok(cut[0]!.l.startsWith('x'.repeat(20)));
  assert.equal(s.pushMessage(msg(T1, 'z'.repeat(500))), [], 'still discarding');
  assert.equal(lines(s.pushMessage(msg(T2, 'tail\nnext\n'))), [`${T2}|out|next`], 'the rest of the long line is gone; the next line survives');
  assert.equal(lines(s.pushMessage(msg(T2, 'ok\n'))), [`${T2}|out|ok`]);
});

test('the default cap fits the protocol schema (≤ 65536 characters)', () => {
  const s = new LineSplitter('out');
  const out = s.pushMessage(msg(T1, `${'q'.repeat(200_000)}\n`));
  assert.is(out.length, 1);
  assert.is(out[0]!.l.length, MAX_LINE_CHARS);
});

test.run();
