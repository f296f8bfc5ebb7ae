// bench/exec: `berth exec` (CLI → controller → agent → Docker exec, and back, with the credit
// window) against `docker exec` on the same container, same run, same machine. Prints figures and
// ratios; asserts nothing.
//
//   npm run build && node dist/bench/exec.js [--mib 64] [--runs 3]   (needs the test bed)
//
// 1. Throughput: MIB MiB from `head -c` to our stdout pipe, MiB/s = bytes / wall time of the command.
// 2. Round trip: `true` run RUNS times, median wall time (connect, authorize, create, start, exit).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseScriptArgs, positive } from './args.js';
import { BerthEnv } from '../test/support/berth-env.js';
import { repoRoot } from '../test/support/paths.js';
import { bed } from '../test/support/testbed.js';

const values = parseScriptArgs(import.meta.url, { mib: { type: 'string', default: '64' }, runs: { type: 'string', default: '5' } });
for (const k of ['mib', 'runs'] as const) positive(k, values[k]);
const BYTES = Number(values.mib) * 1024 * 1024;
const RUNS = Number(values.runs);

/** Run a command, count its stdout bytes; resolves with [ms, bytes, exit code]. */
function timed(cmd: string, args: string[]): Promise<[number, number, number]> {
  return new Promise((resolve) => {
    const started = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') } });
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => { bytes += d.length; });
    child.once('exit', (code) => resolve([performance.now() - started, bytes, code ?? -1]));
  });
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const env = new BerthEnv();
const name = env.name('bench');
try {
  env.write('box.yaml', env.hostYaml('box', `containers:\n- name: ${name}\n  image: ${bed('BERTH_TEST_IMAGE')}\n  imagePullPolicy: IfNotPresent\n  command: ["sh", "-c", "while true; do sleep 1; done"]\n  stopTimeoutSeconds: 1`));
  await env.startController();
  await env.startAgent('box', { BERTH_ALLOW_EXEC: 'true' });
  await env.waitReady('box');
  const berth = (cmd: string[]) => [join(repoRoot, 'bin/berth.js'), 'exec', `${env.namespace}/box`, name, '--server', env.url, '--token-file', join(env.state, 'ui-token'), '--', ...cmd];
  const dockerBin = 'docker';
  const big = ['head', '-c', String(BYTES), '/dev/zero'];
  const [bMs, bBytes] = await timed(process.execPath, berth(big));
  const [dMs, dBytes] = await timed(dockerBin, ['exec', name, ...big]);
  if (bBytes !== BYTES || dBytes !== BYTES) throw new Error(`short output: berth ${bBytes}, docker ${dBytes} of ${BYTES}`);
  const mibs = (ms: number) => (BYTES / 1048576) / (ms / 1000);
  console.log(`throughput   berth exec ${mibs(bMs).toFixed(1)} MiB/s   docker exec ${mibs(dMs).toFixed(1)} MiB/s   ratio ${(mibs(bMs) / mibs(dMs)).toFixed(2)}`);
  const bt: number[] = [];
  const dt: number[] = [];
  for (let i = 0; i < RUNS; i++) { bt.push((await timed(process.execPath, berth(['true'])))[0]); dt.push((await timed(dockerBin, ['exec', name, 'true']))[0]); }
  console.log(`round trip   berth exec ${median(bt).toFixed(0)} ms   docker exec ${median(dt).toFixed(0)} ms   ratio ${(median(bt) / median(dt)).toFixed(2)}   (median of ${RUNS}, incl. process start)`);
} finally {
  await env.cleanup();
}
