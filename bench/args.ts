// Command-line parsing shared by the benchmark scripts (and the chaos long form): `--help` prints the
// script's own header comment — the one place its usage is written — and an unknown option is a
// clear error with exit status 2 instead of a stack trace.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

type OptionSpec = { type: 'string'; default?: string; short?: string } | { type: 'boolean'; default?: boolean; short?: string };
type Values<O extends Record<string, OptionSpec>> = {
  [K in keyof O]: O[K] extends { type: 'boolean' } ? boolean | undefined
    : O[K] extends { default: string } ? string : string | undefined;
};

/** The leading `//` comment of a script (its compiled .js keeps it), without the comment markers. */
export function headerComment(scriptUrl: string): string {
  const lines: string[] = [];
  for (const line of readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n')) {
    if (!line.startsWith('//')) break;
    lines.push(line.replace(/^\/\/ ?/, ''));
  }
  return lines.join('\n').trim();
}

/**
 * Parse process.argv for the script at SCRIPT_URL (pass `import.meta.url`). Exits 0 after printing
 * the usage for --help/-h, 2 with the problem and the usage for an unknown option or a positional.
 */
export function parseScriptArgs<const O extends Record<string, OptionSpec>>(scriptUrl: string, options: O): Values<O> {
  const usage = () => headerComment(scriptUrl);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${usage()}`);
    process.exit(2);
  }
  if (values.help) { console.log(usage()); process.exit(0); }
  return values as Values<O>;
}

/** A positive number from option NAME, or exit 2 naming the option. */
export function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!(n > 0)) { console.error(`--${name} must be a positive number, not "${value}"`); process.exit(2); }
  return n;
}
