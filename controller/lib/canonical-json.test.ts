import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { canonicalJson } from './canonical-json.js';

/** The original definition: the output spec hashes were made from, which must never change. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// A small deterministic generator (no dependency): nested objects, arrays, odd keys, undefined.
function rng(seed: number) { return () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; }; }
const KEYS = ['a', 'b', 'B', 'é', 'name', 'z9', '', '10', '2', 'with "quote"', 'ünï', '\u2028'];
function gen(r: () => number, depth: number): unknown {
  const x = r();
  if (depth <= 0 || x < 0.35) {
    const y = r();
    return y < 0.15 ? null : y < 0.3 ? undefined : y < 0.5 ? Math.floor(r() * 1e6) / (r() < 0.5 ? 1 : 7) : y < 0.6 ? r() < 0.5 : `s${Math.floor(r() * 1e4)}\n"\\`;
  }
  if (x < 0.6) return Array.from({ length: Math.floor(r() * 4) }, () => gen(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = gen(r, depth - 1);
  return o;
}

test('canonicalJson is byte-identical to the original definition', () => {
  const r = rng(42);
  for (let i = 0; i < 5000; i++) {
    const v = gen(r, 5);
    assert.is(canonicalJson(v), reference(v));
  }
  assert.is(canonicalJson({ b: 1, a: [1, undefined, { d: undefined, c: 'x' }] }), '{"a":[1,,{"c":"x"}],"b":1}');
});

test.run();
