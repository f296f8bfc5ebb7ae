// A real build of an earlier Berth release, for upgrade tests: what a user ran before this version.
// The release is a commit of this repository (so nothing is downloaded): its tree is taken with
// `git archive`, compiled with this checkout's TypeScript and node_modules (only the product:
// cli, controller, agent, protocol — its page and tests are not needed), and cached under the test
// bed's cache by commit, so only the first run pays the ~10-30 s build.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './paths.js';

const run = promisify(execFile);

/** The last commit of round 1 (559 tests): the release users run before this round's changes. */
export const PREVIOUS_RELEASE = 'cb11cc18132dfdc32fdfcd6af775cc8ccae380c5';

const cacheRoot = (): string => process.env.BERTH_TESTBED_CACHE
  ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'berth-testbed');

/** The directory of the built release; its `bin/berth.js` is that release's `berth` command. */
export async function previousRelease(commit = PREVIOUS_RELEASE): Promise<string> {
  const dir = join(cacheRoot(), 'previous-release', commit);
  if (existsSync(join(dir, '.built'))) return dir;
  try {
    await run('git', ['-C', repoRoot, 'cat-file', '-e', `${commit}^{commit}`]);
  } catch {
    throw new Error(`the upgrade test needs commit ${commit} in this checkout's history (a shallow clone lacks it: git fetch --unshallow)`);
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await run('sh', ['-c', 'git -C "$1" archive "$2" | tar -x -C "$3"', 'sh', repoRoot, commit, tmp]);
  symlinkSync(join(repoRoot, 'node_modules'), join(tmp, 'node_modules'));
  writeFileSync(join(tmp, 'tsconfig.release.json'), JSON.stringify({
    extends: './tsconfig.json',
    include: ['cli/**/*.ts', 'controller/**/*.ts', 'agent/**/*.ts', 'protocol/**/*.ts'],
    exclude: ['**/*.test.ts', 'node_modules', 'dist', 'web'],
  }));
  await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(tmp, 'tsconfig.release.json')], { maxBuffer: 16 << 20 });
  writeFileSync(join(tmp, '.built'), `${commit}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}
