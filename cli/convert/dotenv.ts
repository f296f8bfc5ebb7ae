// The .env / env_file format compose reads: KEY=VALUE lines, '#' comments, an optional `export `,
// single quotes literal, double quotes with \n \t \" \\ escapes, unquoted values trimmed and cut at
// " #". Unquoted and double-quoted values interpolate variables defined above them (or `outer`), as
// compose does. A bare `KEY` takes the value from `outer` when it has one. Pure.
import { interpolateString, type Lookup } from './interpolate.js';

export class DotenvError extends Error {}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=\s*([\s\S]*))?$/;

function unescapeDouble(s: string): string {
  return s.replace(/\\([nrt"\\$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' } as Record<string, string>)[c] ?? c);
}

export function parseDotenv(text: string, file: string, outer: Lookup = () => undefined): Map<string, string> {
  const vars = new Map<string, string>();
  const lookup: Lookup = (name) => vars.get(name) ?? outer(name);
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n]!;
    if (/^\s*(#|$)/.test(raw)) continue;
    const m = LINE.exec(raw);
    if (!m) throw new DotenvError(`${file}:${n + 1}: expected KEY=VALUE, got "${raw.trim()}"`);
    const key = m[1]!;
    let value = m[2];
    if (value === undefined) { const v = outer(key); if (v !== undefined) vars.set(key, v); continue; }
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      // A quoted value may span lines until its closing quote.
      let body = value.slice(1);
      while (!new RegExp(`(^|[^\\\\])${quote}`).test(body) && n + 1 < lines.length) body += `\n${lines[++n]}`;
      const end = quote === "'" ? body.indexOf("'") : body.search(/(?<!\\)"/);
      if (end < 0) throw new DotenvError(`${file}:${n + 1}: unclosed ${quote} in the value of ${key}`);
      const inner = body.slice(0, end);
      value = quote === "'" ? inner : interpolateString(unescapeDouble(inner), lookup, `${file}: ${key}`);
    } else {
      value = interpolateString(value.replace(/\s+#.*$/, '').trim(), lookup, `${file}: ${key}`);
    }
    vars.set(key, value);
  }
  return vars;
}
