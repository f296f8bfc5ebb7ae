// Kubernetes resource quantities ("500m", "256Mi", "1e3"), parsed the way
// k8s.io/apimachinery/pkg/api/resource.ParseQuantity reads them, for the TypeScript twins of the
// CRD's CEL rules (isQuantity / quantity(...).compareTo) and for converting limits for Docker.

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Whether `text` is a well-formed quantity (CEL's isQuantity). */
export function isQuantity(text: string): boolean {
  return QUANTITY.test(text);
}

/** The quantity's value as a float (precise enough for limits and comparisons), or undefined. */
export function quantityValue(text: string): number | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const number = Number(m[2]);
  const suffix = m[3] ?? '';
  const factor = BINARY[suffix] ?? DECIMAL[suffix] ?? 10 ** Number(suffix.slice(1));
  return sign * number * factor;
}

/** A schema value that is int-or-string: bytes or cores as a number, or a quantity string. */
export function intOrQuantity(value: number | string): number | undefined {
  return typeof value === 'number' ? value : quantityValue(value);
}
