// Compose's variable interpolation (the Compose Specification, "Interpolation"): $VAR, ${VAR},
// ${VAR:-default} / ${VAR-default} (unset-or-empty / unset), ${VAR:?err} / ${VAR?err},
// ${VAR:+alt} / ${VAR+alt}, nested defaults, and $$ for a literal $. Applied to every string value
// of the parsed YAML, never to keys, as compose does. Pure.

export type Lookup = (name: string) => string | undefined;

export class InterpolationError extends Error {
  constructor(readonly path: string, message: string) { super(`${path}: ${message}`); }
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

/** Index of the `}` closing the `${` whose body starts at `from`, honouring nested `${...}`. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === '$' && text[i + 1] === '{') { depth++; i++; } else if (text[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

function expandBraced(body: string, lookup: Lookup, path: string): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw new InterpolationError(path, `invalid variable reference "\${${body}}"`);
  const rest = body.slice(name.length);
  const value = lookup(name);
  if (rest === '') return value ?? '';
  const m = /^(:?)([-?+])([\s\S]*)$/.exec(rest);
  if (!m) throw new InterpolationError(path, `invalid variable reference "\${${body}}"`);
  const [, colon, op, word] = m;
  const missing = colon ? value === undefined || value === '' : value === undefined;
  const arg = () => interpolateString(word!, lookup, path);
  switch (op) {
    case '-': return missing ? arg() : value!;
    case '+': return missing ? '' : arg();
    default: // '?'
      if (missing) throw new InterpolationError(path, `required variable ${name} is ${value === undefined ? 'unset' : 'empty'}${word ? `: ${arg()}` : ''}`);
      return value!;
  }
}

export function interpolateString(text: string, lookup: Lookup, path = ''): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '$') { out += c; continue; }
    const next = text[i + 1];
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new InterpolationError(path, `unclosed "\${" in "${text}"`);
      out += expandBraced(text.slice(i + 2, end), lookup, path);
      i = end;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (name) { out += lookup(name) ?? ''; i += name.length; } else out += c;
  }
  return out;
}

/** Interpolates every string value in a parsed YAML tree (keys are left alone). */
export function interpolate(value: unknown, lookup: Lookup, path = ''): unknown {
  if (typeof value === 'string') return interpolateString(value, lookup, path || '<top level>');
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, lookup, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, lookup, path ? `${path}.${k}` : k)]));
  }
  return value;
}
