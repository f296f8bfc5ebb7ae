// 10-bit logarithmic codes for non-negative measurements: a history point (CPU, memory, network in,
// network out) is four codes in 5 bytes. code = round(ln(1 + v/unit) · k), k chosen so the field's
// largest value gets the largest code: a decoded value is off by at most half a step of e^(1/k) —
// relative, so small and large values are equally exact — and values below one unit are exact to
// about unit/k. 0x3FF means "no sample". The ranges (docs/stats.md):
//   CPU % of the host   unit 0.01 %,  up to 100 % (the frame's bound)   ±0.45 %
//   memory working set  unit 1 KiB,   up to 2^40 KiB (1 PiB)           ±1.4 %
//   network bytes/s     unit 1 B/s,   up to 2^40 B/s (1 TiB/s)         ±1.4 %
// Larger values are clamped to the largest code; the exact newest sample is kept beside the history.
// (12-bit codes, ±0.45 % everywhere, cost 6 bytes a point: 103 MiB at 5,000 hosts × 10 × 360 slots;
// these 86 MiB. docs/stats.md says why the precision is enough for charts.)
export const MISSING = 0x3ff;
const MAX_CODE = 0x3fe;

export interface LogCode { readonly unit: number; readonly k: number }

/** The code for values from 0 to MAX (in the value's own units) at UNIT resolution. */
export function logCode(unit: number, max: number): LogCode {
  return { unit, k: MAX_CODE / Math.log1p(max / unit) };
}

export const CPU_CODE = logCode(0.01, 100);
export const MEMORY_CODE = logCode(1024, 2 ** 50);
export const RATE_CODE = logCode(1, 2 ** 40);

/** Worst relative error of a decoded value (half a step). */
export function relativeError(c: LogCode): number { return (Math.exp(1 / c.k) - 1) / 2; }

export function encode(c: LogCode, value: number): number {
  if (!(value > 0)) return 0;   // 0, negatives and NaN
  const code = Math.round(Math.log1p(value / c.unit) * c.k);
  return code > MAX_CODE ? MAX_CODE : code;
}

export function decode(c: LogCode, code: number): number | null {
  if (code === MISSING) return null;
  return c.unit * Math.expm1(code / c.k);
}

export const POINT_BYTES = 5;

/** Four 10-bit codes into BYTES[at..at+4]. */
export function pack4(bytes: Uint8Array, at: number, a: number, b: number, c: number, d: number): void {
  bytes[at] = a;
  bytes[at + 1] = (a >> 8) | (b << 2);
  bytes[at + 2] = (b >> 6) | (c << 4);
  bytes[at + 3] = (c >> 4) | (d << 6);
  bytes[at + 4] = d >> 2;
}

/** Code number F (0..3) of the four packed at BYTES[at..at+4]. */
export function unpack(bytes: Uint8Array, at: number, f: number): number {
  switch (f) {
    case 0: return bytes[at]! | ((bytes[at + 1]! & 0x03) << 8);
    case 1: return (bytes[at + 1]! >> 2) | ((bytes[at + 2]! & 0x0f) << 6);
    case 2: return (bytes[at + 2]! >> 4) | ((bytes[at + 3]! & 0x3f) << 4);
    default: return (bytes[at + 3]! >> 6) | (bytes[at + 4]! << 2);
  }
}
