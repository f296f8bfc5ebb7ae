// A 16-bit logarithmic code for non-negative measurements, so a history point costs 2 bytes per
// value: code = round(ln(1 + v/unit) · K). With K = 1783 every value from 0 to 2^53 units fits, and
// a decoded value is off by at most 0.03 % (half a step of e^(1/K)); small values are exact to unit/K.
// 0xFFFF means "no sample".
export const MISSING = 0xffff;
const K = 1783;
const MAX_CODE = 0xfffe;

export function encode(value: number, unit = 1): number {
  if (!(value > 0)) return 0;   // 0, negatives and NaN
  const code = Math.round(Math.log1p(value / unit) * K);
  return code > MAX_CODE ? MAX_CODE : code;
}

export function decode(code: number, unit = 1): number | null {
  if (code === MISSING) return null;
  return unit * Math.expm1(code / K);
}
