// The one way tests start `berth controller` (and `berth agent`) as real child processes: the
// command exactly as a user runs it (bin/berth.js), the bed's Docker, output kept for failure
// messages, and every process still running killed when the test process exits however it exits.
// BerthEnv (directory mode) and the Kubernetes-mode tests build on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';
import { bed } from './testbed.js';
import type { RunControllerOptions } from '../../cli/controller.js';

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

export interface BerthProcess {
  child: ChildProcess;
  /** The last ~8 kB of its stdout and stderr, interleaved. */
  logs(): string;
}

/**
 * Kept output of one or more processes (a test may share one buffer between a controller and its
 * agent). Bounded by default (the newest ~3,000 chunks); `unbounded` keeps everything, for tests
 * that search a process's whole log (test/security/no-token-leak.test.ts).
 */
export class OutputBuffer {
  private readonly chunks: string[] = [];
  constructor(private readonly opts: { unbounded?: boolean } = {}) {}
  push(chunk: string): void { this.chunks.push(chunk); if (!this.opts.unbounded && this.chunks.length > 3000) this.chunks.splice(0, 1500); }
  text(maxChars = 8000): string { return this.chunks.join('').slice(-maxChars); }
  all(): string { return this.chunks.join(''); }
}

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  output?: OutputBuffer;
  /** The script to run instead of bin/berth.js, relative to the repository (a test seam such as dist/test/support/controller-proc.js). */
  entry?: string;
  /** The node binary (default: this process's) and its flags before the script (V8 flags NODE_OPTIONS refuses, e.g. --lite-mode). */
  node?: string;
  nodeArgs?: readonly string[];
}

/** `berth ARGS` as a child process with DOCKER_HOST on the bed's dockerd. */
export function spawnBerth(args: readonly string[], opts: SpawnOptions = {}): BerthProcess {
  const output = opts.output ?? new OutputBuffer();
  const child = spawn(opts.node ?? process.execPath, [...(opts.nodeArgs ?? []), join(repoRoot, opts.entry ?? 'bin/berth.js'), ...args], {
    env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST'), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const keep = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, logs: () => output.text() };
}

/**
 * `berth controller ARGS` (which must log at info: the URL comes from its "listening" line);
 * resolves with its URL once it serves, or rejects with its output if it exits or stays silent.
 */
export async function startBerthController(args: readonly string[], opts: { env?: NodeJS.ProcessEnv; output?: OutputBuffer; timeoutMs?: number; seams?: RunControllerOptions } = {}): Promise<BerthProcess & { url: string }> {
  // With seams: the same runController through controller-proc.ts, which reads them from the env.
  const p = opts.seams
    ? spawnBerth(args, { ...opts, entry: 'dist/test/support/controller-proc.js', env: { ...opts.env, BERTH_TEST_CONTROLLER_SEAMS: JSON.stringify(opts.seams) } })
    : spawnBerth(['controller', ...args], opts);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      const m = /"url":"(https?:\/\/[^"]+)"/.exec(buf);
      if (m) { p.child.stdout!.off('data', onData); clearTimeout(timer); resolve(m[1]!); }
    };
    p.child.stdout!.on('data', onData);
    p.child.once('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`controller exited (${code ?? signal}) before serving:\n${p.logs()}`)); });
    const timer = setTimeout(() => reject(new Error(`controller did not report its URL within ${timeoutMs} ms (it must log at info):\n${p.logs()}`)), timeoutMs);
    timer.unref();
  });
  return { ...p, url };
}

/** Signal CHILD and resolve once it exited (at once if it already had). */
export function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
    if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), killAfterMs).unref();
  });
}

/** The controller's /readyz status (200: it leads and is ready; 503: standby), or 0 when it does not answer. */
export async function readyz(url: string): Promise<number> {
  try { return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).status; } catch { return 0; }
}
