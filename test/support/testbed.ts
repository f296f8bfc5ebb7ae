// Access to the running test bed from tests. `npm test` starts the bed first; a test that needs a
// component it cannot find fails loudly (never skips) with the command that starts it.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function testbedRunDir(): string {
  if (process.env.BERTH_TESTBED_RUN) return process.env.BERTH_TESTBED_RUN;
  const cache = process.env.BERTH_TESTBED_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'berth-testbed');
  return join(cache, 'run');
}

let cached: Record<string, string> | undefined;

/** The `export KEY=value` lines the bed wrote to run/env.sh, parsed. */
export function testbedEnv(): Record<string, string> {
  if (cached) return cached;
  const file = join(testbedRunDir(), 'env.sh');
  if (!existsSync(file)) throw new Error(`test bed not up: ${file} missing — run: bash test/env/testbed.sh up`);
  const env: Record<string, string> = {};
  const parse = (text: string): void => {
    for (const line of text.split('\n')) {
      const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m && !(m[1]! in env)) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
    }
  };
  parse(readFileSync(file, 'utf8'));
  // The run dir is shared by every checkout: another checkout's older testbed.sh may have rewritten
  // env.sh without a component it does not know; each component's own file in env.d/ still has it.
  const dir = join(testbedRunDir(), 'env.d');
  if (existsSync(dir)) {
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.sh')).sort()) parse(readFileSync(join(dir, f), 'utf8'));
  }
  cached = env;
  return env;
}

/** One variable of the bed, or a clear error naming it. */
export function bed(name: string): string {
  const value = testbedEnv()[name];
  if (value === undefined || value === '') throw new Error(`test bed variable ${name} missing — run: bash test/env/testbed.sh up`);
  return value;
}
