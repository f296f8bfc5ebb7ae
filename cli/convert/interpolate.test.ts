import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { interpolate, interpolateString, InterpolationError } from './interpolate.js';
import { parseDotenv, DotenvError } from './dotenv.js';

const vars: Record<string, string> = { SET: 'v', EMPTY: '', PORT: '8080' };
const lookup = (n: string) => vars[n];

const CASES: Array<[string, string]> = [
  ['$SET', 'v'], ['${SET}', 'v'], ['a${SET}b', 'avb'], ['$$SET', '$SET'], ['$$', '$'], ['cost: 5$', 'cost: 5$'],
  ['${UNSET}', ''], ['$UNSET', ''],
  ['${UNSET:-d}', 'd'], ['${EMPTY:-d}', 'd'], ['${SET:-d}', 'v'],
  ['${UNSET-d}', 'd'], ['${EMPTY-d}', ''], ['${SET-d}', 'v'],
  ['${SET:+alt}', 'alt'], ['${EMPTY:+alt}', ''], ['${EMPTY+alt}', 'alt'], ['${UNSET+alt}', ''],
  ['${UNSET:-${PORT}}', '8080'], ['${UNSET:-${ALSO:-deep}}', 'deep'], ['${UNSET:-a b}', 'a b'],
  ['${SET:?must}', 'v'], ['${EMPTY?ok}', ''],
];
for (const [input, want] of CASES) test(`interpolates ${input}`, () => assert.is(interpolateString(input, lookup), want));

test('${VAR:?err} and ${VAR?err} fail with the message and the field', () => {
  assert.throws(() => interpolateString('${UNSET:?set UNSET first}', lookup, 'services.web.image'), (e: Error) => e instanceof InterpolationError && /services\.web\.image: required variable UNSET is unset: set UNSET first/.test(e.message));
  assert.throws(() => interpolateString('${EMPTY:?}', lookup, 'x'), /EMPTY is empty/);
  assert.throws(() => interpolateString('${UNSET?}', lookup, 'x'), /UNSET is unset/);
  assert.throws(() => interpolateString('${SET', lookup, 'x'), /unclosed/);
  assert.throws(() => interpolateString('${9x}', lookup, 'x'), /invalid variable reference/);
});

test('interpolates values in a tree, never keys, and names the path in errors', () => {
  assert.equal(interpolate({ services: { '$SET': { ports: ['${PORT}:80'], n: 3 } } }, lookup), { services: { '$SET': { ports: ['8080:80'], n: 3 } } });
  assert.throws(() => interpolate({ services: { web: { image: '${X:?}' } } }, lookup), /services\.web\.image/);
});

test('.env: comments, export, quotes, escapes, inline comments, interpolation of earlier lines', () => {
  const env = parseDotenv([
    '# a comment', '', 'export A=1', 'B = two words  # comment', "C='literal $A \\n'", 'D="line\\nnext $A"', 'E=${A}-${OUTER}', 'F=', 'G="multi', 'line"', 'OUTER',
  ].join('\n'), '.env', (n) => (n === 'OUTER' ? 'out' : undefined));
  assert.equal(Object.fromEntries(env), { A: '1', B: 'two words', C: 'literal $A \\n', D: 'line\nnext 1', E: '1-out', F: '', G: 'multi\nline', OUTER: 'out' });
  assert.throws(() => parseDotenv('not a line', '.env'), (e: Error) => e instanceof DotenvError && /\.env:1: expected KEY=VALUE/.test(e.message));
  assert.throws(() => parseDotenv('A="open', '.env'), /unclosed/);
});

test.run();
