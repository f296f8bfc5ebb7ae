// bench/reconcile: how long Berth takes from writing a manifest to "all Ready", against raw
// `docker run -d` of the same containers (one after another, and all at once), in the same run on
// the same machine, so a noisy machine affects both alike. Prints medians and ratios.
//
//   npm run bench:reconcile              (needs the test bed: bash test/env/testbed.sh up)
//   node dist/bench/reconcile.js --sizes 1,10,50 --rounds 7,3,3 --modes dir,kube
//
// Berth's figure includes everything a user waits for. Directory mode: the store noticing the file
// (fs.watch + debounce), validation, planning, dispatch over the WebSocket, the agent's docker
// create+start, its report, and the status write that says Ready. Kubernetes mode: `kubectl apply`
// (the process included), the apiserver, the watch, the same path, and the status patch.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthEnv, condition, until, type HostView } from '../test/support/berth-env.js';
import { installCrds } from '../test/support/berth.js';
import { docker } from '../test/support/docker.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl } from '../test/support/kube.js';
import { repoRoot } from '../test/support/paths.js';
import { bed } from '../test/support/testbed.js';
import { parseScriptArgs } from './args.js';

const values = parseScriptArgs(import.meta.url, {
  sizes: { type: 'string', default: '1,10,50' }, rounds: { type: 'string', default: '7,3,3' }, modes: { type: 'string', default: 'dir,kube' },
});
const sizes = values.sizes!.split(',').map(Number);
const rounds = values.rounds!.split(',').map(Number);
const modes = values.modes!.split(',').filter((m) => m === 'dir' || m === 'kube');

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

const allReady = (h: HostView | undefined, n: number) => h && h.status.ready === `${n}/${n}` && condition(h, 'Ready')?.status === 'True';

/** One way of getting containers onto the host through Berth. */
interface Mode {
  name: string;
  /** Declare `list` and resolve when the host is Ready with all of them; returns the elapsed ms. */
  run(list: string[]): Promise<number>;
  teardown(): Promise<void>;
}

/** Directory mode: the manifest is a file the controller watches. */
async function dirMode(): Promise<Mode> {
  env.write('bench.yaml', manifest([]));
  await env.startController();
  await env.startAgent(host);
  await env.waitReady(host);
  return {
    name: 'berth (dir)',
    async run(list) {
      const start = performance.now();
      env.write('bench.yaml', manifest(list));
      await until(`${list.length} Ready`, async () => allReady(await env.host(host), list.length), 300_000, 5);
      const elapsed = performance.now() - start;
      env.write('bench.yaml', manifest([]));
      await until('containers removed', async () => (await env.containers(host)).length === 0, 300_000, 50);
      await env.waitReady(host);
      return elapsed;
    },
    async teardown() { /* env.cleanup() below */ },
  };
}

/** Kubernetes mode: `kubectl apply` against the test bed's apiserver, a controller with --kube. */
async function kubeMode(): Promise<Mode> {
  await installCrds();
  const ns = await createTestNamespace('bench-k');
  const sys = await createTestNamespace('bench-k-sys');
  const kubeYaml = (list: string[]) => manifest(list).replaceAll(`namespace: ${env.namespace}`, `namespace: ${ns}`);
  const apply = async (list: string[]) => { await kubectl(['apply', '-f', '-'], { input: kubeYaml(list), check: true }); };
  const procs: ChildProcess[] = [];
  const spawnBerth = (args: string[]) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'inherit'] });
    procs.push(child);
    return child;
  };
  const controller = spawnBerth(['controller', '--kube', '--kubeconfig', kubeconfig('admin'), '--controller-namespace', sys, '--listen', '127.0.0.1:0']);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    controller.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const m = /"url":"(http:\/\/[^"]+)"/.exec(buf); if (m) resolve(m[1]!); });
    setTimeout(() => reject(new Error('kube controller did not start')), 30_000).unref();
  });
  const hostView = async () => { const r = await fetch(`${url}/api/v1/hosts/${ns}/${host}`); return r.status === 200 ? await r.json() as HostView : undefined; };
  await apply([]);
  const secret = await until('token Secret', async () => {
    const r = await kubectl(['-n', ns, 'get', 'secret', `${host}-agent-token`, '-o', 'jsonpath={.data.token}']);
    return r.code === 0 && r.stdout ? r.stdout : undefined;
  }, 30_000);
  const tokenFile = join(env.root, 'kube-token');
  writeFileSync(tokenFile, Buffer.from(secret, 'base64'), { mode: 0o600 });
  spawnBerth(['agent', '--url', url.replace(/^http/, 'ws'), '--token-file', tokenFile]).stdout!.resume();
  controller.stdout!.resume();
  await until('kube host Ready', async () => allReady(await hostView(), 0), 60_000);
  return {
    name: 'berth (kube)',
    async run(list) {
      const start = performance.now();
      await apply(list);
      await until(`${list.length} Ready`, async () => allReady(await hostView(), list.length), 300_000, 5);
      const elapsed = performance.now() - start;
      await apply([]);
      await until('containers removed', async () => (await docker(['ps', '-aq', '--filter', `label=berth.dev/host=${ns}/${host}`])).stdout.trim() === '', 300_000, 50);
      await until('kube host Ready', async () => allReady(await hostView(), 0), 60_000);
      return elapsed;
    },
    async teardown() {
      await kubectl(['-n', ns, 'patch', 'ch', host, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      for (const p of procs) p.kill('SIGTERM');
      await deleteTestNamespace(ns);
      await deleteTestNamespace(sys);
    },
  };
}

const active: Mode[] = [];
try {
  if (modes.includes('dir')) active.push(await dirMode());
  if (modes.includes('kube')) active.push(await kubeMode());
  // Warm-up: one container through each path, so the first measured round pays no cold caches.
  await rawRun(names(1, 'warm-raw'), false);
  for (const [i, m] of active.entries()) await m.run(names(1, `warm${i}x`));

  const rows: string[] = [];
  for (const [i, n] of sizes.entries()) {
    const r = rounds[i] ?? rounds.at(-1) ?? 3;
    const seq: number[] = []; const par: number[] = [];
    const berth: number[][] = active.map(() => []);
    for (let k = 0; k < r; k++) {
      // Interleave everything so drift on a shared machine hits all paths alike.
      seq.push(await rawRun(names(n, `s${k}x`), false));
      par.push(await rawRun(names(n, `p${k}x`), true));
      for (const [j, m] of active.entries()) berth[j]!.push(await m.run(names(n, `b${j}k${k}x`)));
    }
    const [s, p] = [median(seq), median(par)];
    const cells = berth.map((xs) => { const b = median(xs); return `${ms(b)} | +${ms(b - Math.min(s, p))} | ${(b / p).toFixed(2)}x`; });
    rows.push(`| ${n} | ${r} | ${ms(s)} | ${ms(p)} | ${cells.join(' | ')} |`);
    console.error(`N=${n}: raw sequential ${ms(s)}, raw parallel ${ms(p)}, ${active.map((m, j) => `${m.name} ${ms(median(berth[j]!))}`).join(', ')}`);
  }
  console.log('\nbench/reconcile — declared → all Ready, vs raw `docker run -d` (medians)\n');
  console.log(`| N | rounds | raw sequential | raw parallel | ${active.map((m) => `${m.name} | overhead | / raw parallel`).join(' | ')} |`);
  console.log(`|---|---|---|---|${active.map(() => '---|---|---|').join('')}`);
  for (const row of rows) console.log(row);
  console.log('\ntargets: directory mode overhead at N=1 ≤ 100 ms (p50); ≤ 1.3× raw parallel at N=50');
} catch (err) {
  // What the controller and agent said last is what explains a timeout.
  console.error(`bench/reconcile failed; the last controller/agent output:\n${env.logs()}`);
  throw err;
} finally {
  for (const m of active) await m.teardown();
  await env.cleanup();
  const raw = (await docker(['ps', '-aq', '--filter', 'label=berth-bench=raw'])).stdout.split('\n').filter(Boolean);
  if (raw.length) await docker(['rm', '-f', ...raw]);
}
