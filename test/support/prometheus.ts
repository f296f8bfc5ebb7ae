// The bed's real Prometheus tools for tests (component `prometheus`, built from the Go module proxy):
// the chart's PrometheusRule rendered into a plain rule file, `promtool`, and a `prometheus` server
// per test (own port, own data dir, stopped by its pid) with a small client for its HTTP API.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { find, type Helm } from './helm.js';
import { OutputBuffer, stopProcess } from './berth-process.js';
import { run, type RunResult } from './kube.js';
import { repoRoot } from './paths.js';
import { testbedEnv } from './testbed.js';
import { until } from './wait.js';

/**
 * BERTH_TEST_PROMETHEUS / BERTH_TEST_PROMTOOL from the bed's env.sh, or, when that file was written
 * by a checkout whose bed has no `prometheus` component yet, from the component's own env function
 * (read-only: it prints paths). Missing binaries then fail with the command that builds them.
 */
export function prometheusTool(name: 'BERTH_TEST_PROMETHEUS' | 'BERTH_TEST_PROMTOOL' | 'BERTH_TEST_PROMETHEUS_OPERATOR_CRDS'): string {
  let value = testbedEnv()[name];
  if (!value) {
    const out = execFileSync('bash', ['-c', 'set -euo pipefail; source test/env/lib.sh; source test/env/prometheus.sh; prometheus_env'], { cwd: repoRoot, encoding: 'utf8' });
    value = new RegExp(`^export ${name}=(.*)$`, 'm').exec(out)?.[1];
  }
  if (!value || !existsSync(value)) throw new Error(`${name} (${value ?? 'unset'}) not built — run: bash test/env/testbed.sh up prometheus`);
  return value;
}

export interface RuleGroup { name: string; interval?: string; rules: Array<{ alert?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }> }

/** The chart's PrometheusRule for RELEASE (with extra --set values) as promtool's rule-file shape. */
export async function chartRuleGroups(helm: Helm, release: string, namespace: string, set: readonly string[] = []): Promise<RuleGroup[]> {
  const { objects } = await helm.template(release, namespace, ['prometheusRule.enabled=true', ...set]);
  const rule = find(objects, 'PrometheusRule');
  if (!rule) throw new Error('the chart rendered no PrometheusRule with prometheusRule.enabled=true');
  return (rule as unknown as { spec: { groups: RuleGroup[] } }).spec.groups;
}

/** Write GROUPS as a rule file in DIR; returns its path. */
export function writeRuleFile(dir: string, groups: RuleGroup[], name = 'rules.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, stringify({ groups }));
  return file;
}

/** `promtool ARGS` in DIR. */
export function promtool(args: readonly string[]): Promise<RunResult> {
  return run(prometheusTool('BERTH_TEST_PROMTOOL'), args, { timeoutMs: 60_000 });
}

import { freePort } from './ports.js';

export { freePort };

export interface PrometheusAlert { labels: Record<string, string>; annotations: Record<string, string>; state: 'pending' | 'firing' | 'inactive'; activeAt?: string }

/** One real `prometheus` server with its own config, data dir and port; stop() kills it by its pid. */
export class PrometheusServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'berth-prom-'));
  private child?: ChildProcess;
  private readonly output = new OutputBuffer();
  url = '';

  /** Start with CONFIG (prometheus.yml text; rule files relative to this.dir) and wait for /-/ready. */
  async start(config: string): Promise<void> {
    writeFileSync(join(this.dir, 'prometheus.yml'), config);
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(prometheusTool('BERTH_TEST_PROMETHEUS'), [
      `--config.file=${join(this.dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ], { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => this.output.push(chunk.toString());
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    await until('prometheus /-/ready', async () => {
      if (this.child?.exitCode !== null) throw new Error(`prometheus exited (${this.child?.exitCode}):\n${this.logs()}`);
      try { return (await fetch(`${this.url}/-/ready`)).status === 200; } catch { return false; }
    }, 30_000, 200);
  }

  async api<T>(path: string): Promise<T> {
    const res = await fetch(`${this.url}/api/v1/${path}`);
    const body = await res.json() as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? res.status}`);
    return body.data;
  }

  async alerts(): Promise<PrometheusAlert[]> { return (await this.api<{ alerts: PrometheusAlert[] }>('alerts')).alerts; }

  async query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    return (await this.api<{ result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`query?query=${encodeURIComponent(expr)}`)).result;
  }

  logs(): string { return this.output.text(); }

  async stop(): Promise<void> {
    await stopProcess(this.child);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
