// Runs every compiled *.test.js under dist/ with uvu, one process per file, so that a crash or a
// hang in one file is reported against it (with a timeout) instead of taking the whole run down.
// Prints the counts split into product tests, parity cases and test-bed smoke tests, then the plain
// closing line CI reads: "N passed, N failed".
//
//   node dist/test/run.js [--unit] [--test NAME] [substring...]
//     --unit       only unit tests (files beside their component, not under test/)
//     --test NAME  only the tests whose name contains NAME (case-insensitive), in the matching files
//     substring    only files whose path contains one of these
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from './support/paths.js';

const HOOKS_PRELOAD = pathToFileURL(join(repoRoot, 'dist/test/support/uvu-hooks.js')).href;
const FILE_TIMEOUT_MS = Number(process.env.BERTH_TEST_FILE_TIMEOUT_MS ?? 15 * 60_000);

interface FileResult { file: string; passed: number; failed: number; skipped: number; total: number; ok: boolean; seconds: number }

/**
 * What a file's tests are, for the summary: test/testbed/ checks the bed itself, test/api/parity
 * runs the CRD/TypeScript parity cases, everything else tests the product.
 */
type Kind = 'product tests' | 'parity cases' | 'test-bed smoke tests';
function kindOf(file: string): Kind {
  const f = file.split(sep).join('/');
  if (f.includes('test/testbed/')) return 'test-bed smoke tests';
  if (f.includes('test/api/parity')) return 'parity cases';
  return 'product tests';
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) findTests(full, out);
    else if (name.endsWith('.test.js')) out.push(full);
  }
  return out;
}

function count(output: string, label: string): number {
  const m = new RegExp(`${label}:\\s+(\\d+)`).exec(output);
  return m ? Number(m[1]) : 0;
}

/** uvu's pattern is a regular expression; match exactly this one file (not its .map). */
function exactPattern(path: string): string {
  return `^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/**
 * The environment of each test file (and of every process it starts): no colours, by NO_COLOR alone
 * (and uvu's --no-color, else uvu sets FORCE_COLOR=1 itself). Never FORCE_COLOR too: with both
 * set, Node 24 prints "Warning: The 'NO_COLOR' env is ignored due to the 'FORCE_COLOR' env being
 * set" on the stderr of every child that checks colours (e.g. the berth CLI), which broke exact
 * stderr checks on Node 24 only (test/system/exec).
 */
function testEnv(testFilter: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...(testFilter ? { BERTH_TEST_FILTER: testFilter } : {}) };
  delete env.FORCE_COLOR;
  return env;
}

function runFile(file: string, testFilter: string | undefined): Promise<FileResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--enable-source-maps', '--import', HOOKS_PRELOAD, join(repoRoot, 'node_modules/uvu/bin.js'), '--no-color', '.', exactPattern(relative(repoRoot, file))], {
      cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: testEnv(testFilter),
    });
    let output = '';
    const collect = (chunk: Buffer) => { output += chunk.toString(); process.stdout.write(chunk); };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => { output += `\nTIMEOUT after ${FILE_TIMEOUT_MS} ms\n`; child.kill('SIGKILL'); }, FILE_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      const total = count(output, 'Total');
      const passed = count(output, 'Passed');
      const skipped = count(output, 'Skipped');
      // A file that died before uvu's summary still counts as one failure.
      const failed = Math.max(total - passed - skipped, code === 0 ? 0 : 1);
      resolve({ file: relative(repoRoot, file), passed, failed, skipped, total, ok: code === 0 && failed === 0, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const USAGE = `Usage: node dist/test/run.js [--unit] [--test NAME] [substring...]
  --unit       only unit tests (files beside their component, not under test/)
  --test NAME  only tests whose name contains NAME (case-insensitive), e.g. --test "supersede"
  substring    only files whose path (under dist/) contains one of these, e.g. test/system/logs
Runs each compiled *.test.js with uvu in its own process; prints the counts per kind
(product tests, parity cases, test-bed smoke tests), then "N passed, N failed".`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) { console.log(USAGE); process.exit(0); }
// `--test NAME` or `--test=NAME`; taken out before the remaining words are read as file filters.
let testFilter: string | undefined;
const args: string[] = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i]!;
  if (a === '--test') {
    testFilter = argv[++i];
    if (!testFilter) { console.error(`--test needs a test name (substring)\n${USAGE}`); process.exit(2); }
  } else if (a.startsWith('--test=')) testFilter = a.slice('--test='.length);
  else args.push(a);
}
// An unknown flag is a mistake, not a request to run everything.
const unknown = args.filter((a) => a.startsWith('-') && a !== '--unit');
if (unknown.length) { console.error(`unknown option ${unknown[0]}\n${USAGE}`); process.exit(2); }
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));
const distRoot = join(repoRoot, 'dist');
const files = findTests(distRoot)
  .filter((f) => !unitOnly || !relative(distRoot, f).startsWith(`test${sep}`))
  .filter((f) => filters.length === 0 || filters.some((s) => relative(repoRoot, f).includes(s)))
  .sort();

if (files.length === 0) { console.error('no test files matched'); process.exit(1); }

const results: FileResult[] = [];
for (const file of files) {
  console.log(`\n=== ${relative(repoRoot, file)}`);
  results.push(await runFile(file, testFilter));
}

console.log('\nper file:');
for (const r of results) {
  // With --test, a file none of whose tests matched ran nothing: say so rather than "0 passed".
  if (testFilter && r.ok && r.total === 0) { console.log(`  --   ${r.file}  no test named like "${testFilter}"`); continue; }
  console.log(`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.file}  ${r.passed} passed, ${r.failed} failed  (${r.seconds.toFixed(1)}s)`);
}
if (testFilter && results.every((r) => r.total === 0 && r.ok)) { console.error(`\nno test named like "${testFilter}" in the ${results.length} matching file(s)`); process.exit(1); }
console.log('');
for (const kind of ['product tests', 'parity cases', 'test-bed smoke tests'] as const) {
  const of = results.filter((r) => kindOf(r.file) === kind);
  if (of.length === 0) continue;
  const p = of.reduce((n, r) => n + r.passed, 0);
  const f = of.reduce((n, r) => n + r.failed, 0);
  // Not in the "N passed, N failed" shape: only the closing line may match what CI reads.
  console.log(`${kind}: ${p + f} (${p} passed / ${f} failed, ${of.length} file${of.length === 1 ? '' : 's'})`);
}
const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed === 0 && results.every((r) => r.ok) ? 0 : 1);
