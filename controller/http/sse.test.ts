import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sseComment, sseEvent, sseRetry } from './sse.js';

test('an event is one event line and one data line of JSON, newline-safe', () => {
  const text = sseEvent('changes', { message: 'two\nlines', n: 1 });
  assert.is(text, 'event: changes\ndata: {"message":"two\\nlines","n":1}\n\n');
  assert.is(text.split('\n').length, 4);
});

test('event names are checked; comments cannot smuggle fields', () => {
  assert.throws(() => sseEvent('bad name\ndata: x', {}), /invalid SSE event name/);
  assert.is(sseComment('hb\ndata: x'), ': hb data: x\n\n');
  assert.is(sseRetry(2500.4), 'retry: 2500\n\n');
});

test.run();
