// `berth get`'s columns are the CRDs' additionalPrinterColumns (crds/*.yaml), read at run time, so
// `berth get hosts` and `kubectl get containerhosts` can never show different columns. Priority 0
// columns are the default; -o wide adds the others, as kubectl does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { packageRoot } from '../../controller/package-root.js';

export interface PrinterColumn { name: string; type: string; jsonPath: string; priority?: number }

export function printerColumns(crdFile: string): PrinterColumn[] {
  const crd = parse(readFileSync(join(packageRoot, 'crds', crdFile), 'utf8')) as { spec: { versions: Array<{ served?: boolean; storage?: boolean; additionalPrinterColumns?: PrinterColumn[] }> } };
  const version = crd.spec.versions.find((v) => v.storage) ?? crd.spec.versions[0];
  return version?.additionalPrinterColumns ?? [];
}

/**
 * The JSONPath subset printer columns use: `.a.b` and `.a[?(@.k=="v")].b`. Anything else yields
 * undefined (an empty cell), as kubectl shows a path that finds nothing.
 */
export function jsonPathValue(obj: unknown, path: string): unknown {
  const steps = path.match(/\.[A-Za-z0-9_-]+|\[\?\(@\.[A-Za-z0-9_-]+=="[^"]*"\)\]/g) ?? [];
  if (steps.join('') !== path) return undefined;
  let cur: unknown = obj;
  for (const step of steps) {
    if (cur === undefined || cur === null) return undefined;
    if (step.startsWith('.')) { cur = (cur as Record<string, unknown>)[step.slice(1)]; continue; }
    const m = /^\[\?\(@\.([A-Za-z0-9_-]+)=="([^"]*)"\)\]$/.exec(step)!;
    cur = Array.isArray(cur) ? cur.find((e) => (e as Record<string, unknown> | null)?.[m[1]!] === m[2]) : undefined;
  }
  return cur;
}

/** kubectl's age: 45s, 12m, 5h, 3d, 2y (two units while short: 5m30s, 3h20m, 3d4h). */
export function age(since: string | undefined, now: number = Date.now()): string {
  const t = since ? Date.parse(since) : NaN;
  if (!Number.isFinite(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** One cell: dates as ages, absent as "" (kubectl prints <none> only for some types; empty is clearer). */
export function cell(value: unknown, type: string, now?: number): string {
  if (value === undefined || value === null || value === '') return '';
  if (type === 'date') return age(String(value), now);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Columns padded like kubectl: upper-case headers, three spaces between columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd();
  return [line(header.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n');
}
