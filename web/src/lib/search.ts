// Log search: case-insensitive plain text (not a regular expression: people paste log fragments
// full of brackets and dots). Pure.

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Matcher { test(text: string): boolean; ranges(text: string): Array<[number, number]> }

export function matcher(query: string): Matcher | undefined {
  if (!query) return undefined;
  const once = new RegExp(escape(query), 'iu');
  const all = new RegExp(escape(query), 'giu');
  return {
    test: (text) => once.test(text),
    ranges(text) {
      const out: Array<[number, number]> = [];
      all.lastIndex = 0;
      for (let m = all.exec(text); m; m = all.exec(text)) {
        out.push([m.index, m.index + m[0].length]);
        if (m[0].length === 0) all.lastIndex++;
      }
      return out;
    },
  };
}

/** The text cut into plain and matching pieces, for rendering with <mark>. */
export function highlight(text: string, m: Matcher | undefined): Array<{ text: string; match: boolean }> {
  if (!m) return [{ text, match: false }];
  const out: Array<{ text: string; match: boolean }> = [];
  let at = 0;
  for (const [from, to] of m.ranges(text)) {
    if (from > at) out.push({ text: text.slice(at, from), match: false });
    out.push({ text: text.slice(from, to), match: true });
    at = to;
  }
  if (at < text.length || out.length === 0) out.push({ text: text.slice(at), match: false });
  return out;
}
