// bench/scale's process and measurement plumbing: every child process tracked and stopped by its
// pid (also on Ctrl-C and when the run's hard bound passes), CPU and RSS from /proc/<pid>, the
// controller's /metrics parsed, and small helpers (a free port, a bounded job pool).
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const CLK_TCK = 100;   // Linux USER_HZ; /proc/<pid>/stat counts CPU in these ticks on every arch Node runs on
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (msg: string) => console.error(`[scale ${new Date().toISOString().slice(11, 19)}] ${msg}`);
export const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

// ---------------------------------------------------------------- processes (always cleaned up)

const children = new Set<ChildProcess>();
export function track<T extends ChildProcess>(c: T): T { children.add(c); c.once('exit', () => children.delete(c)); return c; }
export function killAll(signal: NodeJS.Signals = 'SIGKILL'): void { for (const c of children) if (c.pid) { try { process.kill(c.pid, signal); } catch { /* gone */ } } }
export async function stopChild(c: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  if (await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)])) return;
  c.kill('SIGKILL');
  await exited;
}

/** Kill every tracked child on exit, on SIGINT/SIGTERM, and once the hard bound (`deadline`, ms epoch, + 60 s) passes. */
export function guardProcesses(deadline: number): void {
  process.on('exit', () => killAll());   // also after an uncaught exception
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => { log(`${s}: stopping everything`); killAll(); process.exit(130); });
  // The hard bound: whatever hangs, nothing outlives the run.
  setTimeout(() => { log('overall --timeout reached: killing every process of the run'); killAll(); process.exit(3); }, deadline - Date.now() + 60_000).unref();
}

// ---------------------------------------------------------------- /proc and /metrics

export interface ProcSample { cpuS: number; rss: number; hwm: number }
export function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(f[11]) + Number(f[12])) / CLK_TCK;   // utime + stime (fields 14, 15)
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuS, rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch { return undefined; }
}

export type Metrics = Map<string, number>;
/** Prometheus text → "name{labels}" → value, plus per-name sums under "name". */
export function parseMetrics(text: string): Metrics {
  const m: Metrics = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const sp = line.lastIndexOf(' ');
    const series = line.slice(0, sp);
    const v = Number(line.slice(sp + 1));
    m.set(series, v);
    const name = series.replace(/\{.*$/, '');
    if (name !== series) m.set(name, (m.get(name) ?? 0) + v);
  }
  return m;
}
export async function scrape(url: string): Promise<Metrics | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
    return res.ok ? parseMetrics(await res.text()) : undefined;
  } catch { return undefined; }
}
export const reconciles = (m: Metrics | undefined) => {
  let n = 0;
  for (const [k, v] of m ?? []) if (k.startsWith('berth_reconcile_duration_seconds_count{') && k.includes('kind="ContainerHost"')) n += v;
  return n;
};

// ---------------------------------------------------------------- small helpers

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

/** Run jobs with at most N at once. */
export async function pool<T>(items: T[], n: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => { while (next < items.length) await job(items[next++]!); }));
}
