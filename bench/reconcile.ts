// bench/reconcile: how long Berth takes from writing a manifest to "all Ready", against raw
// `docker run -d` of the same containers (one after another, and all at once), in the same run on
// the same machine, so a noisy machine affects both alike. Prints medians and ratios.
//
//   npm run bench:reconcile              (needs the test bed's dockerd: bash test/env/testbed.sh up docker)
//   node dist/bench/reconcile.js --sizes 1,10,50 --rounds 5,3,3
//
// Berth's figure includes everything a user waits for: the directory store noticing the file
// (fs.watch + debounce), validation, planning, dispatch over the WebSocket, the agent's docker
// create+start, the agent's report, and the status write that says Ready.
import { parseArgs } from 'node:util';
import { BerthEnv, condition, until } from '../test/support/berth-env.js';
import { docker } from '../test/support/docker.js';
import { bed } from '../test/support/testbed.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '1,10,50' }, rounds: { type: 'string', default: '7,3,3' } } });
const sizes = values.sizes!.split(',').map(Number);
const rounds = values.rounds!.split(',').map(Number);

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const ms = (x: number) => `${x.toFixed(0)} ms`;

const env = new BerthEnv();
const host = 'bench';
const image = bed('BERTH_TEST_IMAGE');
const names = (n: number, tag: string) => Array.from({ length: n }, (_, i) => env.name(`${tag}${i}`));

async function rawRun(list: string[], parallel: boolean): Promise<number> {
  const run = (name: string) => docker(['run', '-d', '--name', name, '--label', 'berth-bench=raw', image, 'sh', '-c', 'while true; do sleep 1; done']);
  const start = performance.now();
  if (parallel) await Promise.all(list.map(run));
  else for (const n of list) await run(n);
  const elapsed = performance.now() - start;
  await docker(['rm', '-f', ...list]);
  return elapsed;
}

function manifest(list: string[]): string {
  return env.hostYaml(host, list.length === 0 ? 'containers: []' : `containers:\n${list.map((n) => `- name: ${n}
  image: ${image}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "while true; do sleep 1; done"]
  stopTimeoutSeconds: 0`).join('\n')}`);
}

async function berthRun(list: string[]): Promise<number> {
  const start = performance.now();
  env.write('bench.yaml', manifest(list));
  await until(`${list.length} containers Ready`, async () => {
    const h = await env.host(host);
    return h && h.status.ready === `${list.length}/${list.length}` && condition(h, 'Ready')?.status === 'True';
  }, 300_000, 5);
  const elapsed = performance.now() - start;
  // Reset: remove them through Berth (not timed).
  env.write('bench.yaml', manifest([]));
  await until('containers removed', async () => (await env.containers(host)).length === 0, 300_000, 50);
  await env.waitReady(host);
  return elapsed;
}

try {
  env.write('bench.yaml', manifest([]));
  await env.startController();
  await env.startAgent(host);
  await env.waitReady(host);
  // Warm-up: one container through each path, so the first measured round pays no cold caches.
  await rawRun(names(1, 'warm-raw'), false);
  await berthRun(names(1, 'warm'));

  const rows: string[] = [];
  for (const [i, n] of sizes.entries()) {
    const r = rounds[i] ?? rounds.at(-1) ?? 3;
    const seq: number[] = []; const par: number[] = []; const berth: number[] = [];
    for (let k = 0; k < r; k++) {
      // Interleave the three so drift on a shared machine hits them alike.
      seq.push(await rawRun(names(n, `s${k}x`), false));
      par.push(await rawRun(names(n, `p${k}x`), true));
      berth.push(await berthRun(names(n, `b${k}x`)));
    }
    const [s, p, b] = [median(seq), median(par), median(berth)];
    rows.push(`| ${n} | ${r} | ${ms(s)} | ${ms(p)} | ${ms(b)} | ${ms(b - Math.min(s, p))} | ${(b / s).toFixed(2)}x | ${(b / p).toFixed(2)}x |`);
    console.error(`N=${n}: raw sequential ${ms(s)}, raw parallel ${ms(p)}, berth ${ms(b)}`);
  }
  console.log('\nbench/reconcile — manifest written → all Ready, vs raw `docker run -d` (medians)\n');
  console.log('| N | rounds | raw sequential | raw parallel | berth | berth overhead | berth / raw seq | berth / raw parallel |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('\ntargets: overhead at N=1 ≤ 100 ms (p50); berth ≤ 1.3× raw parallel at N=50');
} finally {
  await env.cleanup();
  await docker(['rm', '-f', ...(await docker(['ps', '-aq', '--filter', 'label=berth-bench=raw'])).stdout.split('\n').filter(Boolean)]);
}
