// Last-resort cleanup for the agent system tests: if a test process dies before uvu's `after` hook
// runs (crash, kill), remove the containers and volumes named with its prefix synchronously on exit,
// so the shared test bed does not collect leftovers. The normal path is each file's `after` hook.
import { spawnSync } from 'node:child_process';
import { bed } from '../support/testbed.js';

export function removeLeftoversOnExit(prefix: string): void {
  if (!/^berth-t-agent-(logs)?[0-9a-f]+$/.test(prefix)) throw new Error(`refusing to clean up an unexpected prefix: ${prefix}`);
  process.once('exit', () => {
    const env = { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') };
    const list = (args: string[]) => (spawnSync('docker', args, { env, encoding: 'utf8', timeout: 30_000 }).stdout ?? '').split('\n').filter(Boolean);
    const ids = list(['ps', '-aq', '--filter', `name=${prefix}`]);
    if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { env, timeout: 60_000 });
    const vols = list(['volume', 'ls', '-q', '--filter', `name=${prefix}`]);
    if (vols.length) spawnSync('docker', ['volume', 'rm', '-f', ...vols], { env, timeout: 30_000 });
  });
}
