// bench/rollout: how long a ContainerSet's rolling update over M simulated hosts takes against the
// ideal, measured in the same run. One real controller (directory mode) and M real agent clients
// with the simulated runtime (bench/sim/), in worker processes so the controller's CPU is its own.
//
//   1. M hosts (label tier=edge) and a set `app` over all of them; wait until it is Ready.
//   2. The rollout: a new template for `app` (maxUnavailable 10 %, minReadySeconds 0), from the
//      write to Ready at the new revision; controller CPU and peak RSS over it.
//   3. The ideal, from the same rollout: each host's apply time (given its revision → seen
//      available, from status.hostStatuses[].since and polling every 100 ms); ideal = waves × the
//      median apply time — the rollout if every wave took one host's time and nothing else did.
//      For comparison, a set `probe` over one wave's worth of hosts (label wave=0), type Recreate,
//      from the manifest write to Ready (--probes times; includes the directory store's scan).
//
//   npm run build && node dist/bench/rollout.js                 (1,000 hosts)
//   node dist/bench/rollout.js --hosts 200 --max-unavailable 10%
//
// Prints the ratio rollout / ideal (the issue's goal: ≤ 1.2). Every process is stopped by its pid.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../test/support/paths.js';
import { maxUnavailableCount } from '../controller/reconcile/set-rollout.js';
import type { WorkerConfig } from './sim/agent-worker.js';
import { parseScriptArgs } from './args.js';

const values = parseScriptArgs(import.meta.url, {
  hosts: { type: 'string', default: '1000' },
  'max-unavailable': { type: 'string', default: '10%' },
  probes: { type: 'string', default: '3' },
  timeout: { type: 'string', default: '900' },
  keep: { type: 'boolean', default: false },
});
const M = Number(values.hosts);
const maxU = /%$/.test(values['max-unavailable']!) ? values['max-unavailable']! : Number(values['max-unavailable']);
const wave = maxUnavailableCount(maxU, M);
const waves = Math.ceil(M / wave);
const NS = 'rollout';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (msg: string) => console.error(`[rollout ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const children = new Set<ChildProcess>();
const track = <T extends ChildProcess>(c: T): T => { children.add(c); c.once('exit', () => children.delete(c)); return c; };
const killAll = () => { for (const c of children) if (c.pid) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } } };
process.on('exit', killAll);
for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => { killAll(); process.exit(130); });
setTimeout(() => { log('--timeout reached'); killAll(); process.exit(3); }, Number(values.timeout) * 1000).unref();

function proc(pid: number): { cpuS: number; hwm: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  return { cpuS: (Number(f[11]) + Number(f[12])) / 100, hwm };
}
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer(); s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}
const hostName = (i: number) => `h${String(i).padStart(5, '0')}`;
const hostYaml = (i: number) => `apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: ${hostName(i)}, namespace: ${NS}, labels: { tier: edge${i < wave ? ', wave: "0"' : ''} } }\nspec: {}\n`
  + `---\napiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: ${hostName(i)}, namespace: ${NS} }\nspec: { hostRef: { name: ${hostName(i)} } }\n`;
const setYaml = (name: string, selector: string, marker: string, strategy: string) => `apiVersion: berth.dev/v1alpha1
kind: ContainerSet
metadata: { name: ${name}, namespace: ${NS} }
spec:
  hostSelector: { matchLabels: { ${selector} } }
  template:
    containers:
    - { name: ${name}, image: "busybox:latest", command: ["sh", "-c", "sleep 1d"], env: [{ name: MARKER, value: "${marker}" }] }
  updateStrategy: ${strategy}
`;

interface SetStatus {
  updateRevision?: string; currentRevision?: string; conditions?: Array<{ type: string; status: string }>; hosts?: number; updatedHosts?: number;
  hostStatuses?: Array<{ host: string; revision: string; available: boolean; since: string }>;
}
async function setStatus(url: string, name: string): Promise<SetStatus | undefined> {
  try {
    const r = await fetch(`${url}/api/v1/sets/${NS}/${name}`, { signal: AbortSignal.timeout(10_000) });
    return r.ok ? ((await r.json()) as { status: SetStatus }).status : undefined;
  } catch { return undefined; }
}
/** Poll until the set is Ready at a revision other than `not` with `hosts` hosts; returns when (ms). */
async function untilReady(url: string, name: string, hosts: number, not: string | undefined, boundS: number, onStatus?: (s: SetStatus) => void): Promise<{ at: number; revision: string }> {
  const end = Date.now() + boundS * 1000;
  while (Date.now() < end) {
    const s = await setStatus(url, name);
    if (s) onStatus?.(s);
    const ready = s?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (s && ready && s.hosts === hosts && s.updateRevision && s.updateRevision !== not && s.currentRevision === s.updateRevision) return { at: Date.now(), revision: s.updateRevision };
    await sleep(100);
  }
  throw new Error(`set ${name} not Ready within ${boundS} s`);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'berth-rollout-'));
  const manifests = join(root, 'manifests'); const state = join(root, 'state');
  mkdirSync(manifests);
  try {
    for (let i = 0; i < M; i++) writeFileSync(join(manifests, `${hostName(i)}.yaml`), hostYaml(i));
    const rolling = `{ rollingUpdate: { maxUnavailable: ${typeof maxU === 'number' ? maxU : `"${maxU}"`}, minReadySeconds: 0 } }`;
    writeFileSync(join(manifests, 'app.yaml'), setYaml('app', 'tier: edge', 'v1', rolling));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const out = openSync(join(root, 'controller.log'), 'a');
    const controller = track(spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), 'controller', '--dir', manifests, '--state', state, '--listen', `127.0.0.1:${port}`, '--log-level', 'warn'], { stdio: ['ignore', out, out] }));
    closeSync(out);
    const procs = Math.min(4, Math.max(1, Math.ceil(M / 1500)));
    const keys = Array.from({ length: M }, (_, i) => `${NS}/${hostName(i)}`);
    for (let w = 0; w < procs; w++) {
      const child = track(fork(join(repoRoot, 'dist/bench/sim/agent-worker.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
      const config: WorkerConfig = { url: url.replace(/^http/, 'ws'), hosts: keys.filter((_, i) => i % procs === w), tokenRoot: join(state, 'tokens') };
      child.send({ type: 'start', config });
    }
    log(`${M} hosts, waves of ${wave} (${waves} waves); waiting for the first revision everywhere`);
    const t0 = Date.now();
    let app = await untilReady(url, 'app', M, undefined, 600);
    log(`app Ready on ${M} hosts in ${((app.at - t0) / 1000).toFixed(1)} s`);

    // The per-wave time: one wave's worth of hosts, all at once.
    const probeS: number[] = [];
    let probeRev: string | undefined;
    for (let p = 0; p < Number(values.probes); p++) {
      const start = Date.now();
      writeFileSync(join(manifests, 'probe.yaml'), setYaml('probe', 'wave: "0"', `p${p}`, '{ type: Recreate }'));
      const r = await untilReady(url, 'probe', wave, probeRev, 300);
      probeRev = r.revision;
      probeS.push((r.at - start) / 1000);
      log(`  probe ${p + 1}: one wave of ${wave} hosts in ${probeS.at(-1)!.toFixed(2)} s`);
    }
    // The first probe creates; later ones recreate, as the rollout does: the median of the recreations.
    const recreations = probeS.length > 1 ? probeS.slice(1) : probeS;
    const perWave = [...recreations].sort((a, b) => a - b)[Math.floor(recreations.length / 2)]!;

    const before = proc(controller.pid!);
    const start = Date.now();
    writeFileSync(join(manifests, 'app.yaml'), setYaml('app', 'tier: edge', 'v2', rolling));
    const old = app.revision;
    const seen = new Map<string, number>();
    app = await untilReady(url, 'app', M, old, 600, (s) => {
      const now = Date.now();
      for (const h of s.hostStatuses ?? []) if (h.revision !== old && h.available && !seen.has(h.host)) seen.set(h.host, now - Date.parse(h.since));
    });
    const after = proc(controller.pid!);
    const rolloutS = (app.at - start) / 1000;
    const applies = [...seen.values()].sort((a, b) => a - b);
    const applyS = applies[Math.floor(applies.length / 2)]! / 1000;
    const ideal = waves * applyS;
    console.log(JSON.stringify({ hosts: M, maxUnavailable: maxU, waves, hostApplyMedianS: +applyS.toFixed(2), hostApplyP90S: +(applies[Math.floor(applies.length * 0.9)]! / 1000).toFixed(2), probeWaveS: +perWave.toFixed(2), idealS: +ideal.toFixed(2), rolloutS: +rolloutS.toFixed(2), ratio: +(rolloutS / ideal).toFixed(2), controllerCpuS: +(after.cpuS - before.cpuS).toFixed(1), controllerCpuPct: +(((after.cpuS - before.cpuS) / rolloutS) * 100).toFixed(0), controllerPeakRssMiB: Math.round(after.hwm / 2 ** 20) }));
    log(`rollout of ${M} hosts in ${rolloutS.toFixed(1)} s; ideal ${waves} waves × ${applyS.toFixed(2)} s (median host apply) = ${ideal.toFixed(1)} s; ratio ${(rolloutS / ideal).toFixed(2)}`);
  } finally {
    killAll();
    if (values.keep) log(`kept ${root}`); else rmSync(root, { recursive: true, force: true });
  }
}
main().catch((err: unknown) => { console.error(err); process.exitCode = 1; });
