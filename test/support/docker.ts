// The docker CLI against the test bed's dockerd, for tests: run a command and get its exit code and
// output, make names no other test (or user) uses, and remove what a test created.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { bed } from './testbed.js';
import { repoRoot } from './paths.js';

export interface RunResult { code: number; stdout: string; stderr: string }

export interface DockerOptions {
  /** Extra environment for the CLI (e.g. DOCKER_CONFIG for a throwaway login). */
  env?: Record<string, string>;
  /** Written to the CLI's stdin (e.g. `login --password-stdin`). */
  input?: string;
  /** Kill the CLI after this long; the result then has code 124 like timeout(1). Default 120 s. */
  timeoutMs?: number;
  /** Another engine's DOCKER_HOST (one of dockerHosts()); default: the bed's first engine. */
  host?: string;
}

/** Every name from uniqueName(), so cleanup() knows what this test process may have created. */
const containers = new Set<string>();
const images = new Set<string>();
/** The extra engines a test talked to, so cleanup() removes its names there too. */
const usedHosts = new Set<string>();

/** The bed's extra engines (component `engines`): DOCKER_HOST URLs, for multi-host tests. */
export function dockerHosts(): string[] {
  return bed('BERTH_TEST_DOCKER_HOSTS').split(/\s+/).filter((h) => h !== '');
}

/** Run `docker ARGS` against the bed's daemon. Never throws on a non-zero exit: look at `code`. */
export function docker(args: string[], opts: DockerOptions = {}): Promise<RunResult> {
  if (opts.host) usedHosts.add(opts.host);
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      env: { ...process.env, DOCKER_HOST: opts.host ?? bed('DOCKER_HOST'), ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs ?? 120_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });   // e.g. no docker CLI on PATH
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? 124 : (code ?? 1), stdout, stderr: timedOut ? `${stderr}\ntimed out` : stderr });
    });
    // A docker that exits before reading its input (e.g. the daemon is restarting) makes this write
    // fail with EPIPE; the exit code above reports the failure, so the write error is not one.
    child.stdin.on('error', () => { /* see above */ });
    child.stdin.end(opts.input ?? '');
  });
}

/** Like docker(), but a non-zero exit throws with the command and its stderr. Returns stdout trimmed. */
export async function dockerOk(args: string[], opts: DockerOptions = {}): Promise<string> {
  const r = await docker(args, opts);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** A random token, e.g. for output a test reads back. */
export function randomToken(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

/** `berth-test-<random>`: a container name that cleanup() removes. */
export function uniqueName(prefix = 'berth-test'): string {
  const name = `${prefix}-${randomToken()}`;
  containers.add(name);
  return name;
}

/** A repository reference (`[registry/]berth-test-<random>/img:tag`) that cleanup() untags. */
export function uniqueImage(registry?: string, tag = '1'): string {
  const ref = `${registry ? `${registry}/` : ''}berth-test-${randomToken()}/img:${tag}`;
  images.add(ref);
  return ref;
}

/** Remove the containers and images this process named (force; ones never created are ignored). */
export async function cleanup(): Promise<void> {
  for (const host of [undefined, ...usedHosts]) {
    if (containers.size > 0) await docker(['rm', '--force', '--volumes', ...containers], { host });
    if (images.size > 0) await docker(['rmi', '--force', ...images], { host });
  }
  containers.clear();
  images.clear();
}

/** The host port docker published for CONTAINER's PORT (e.g. "80/tcp"), read from `docker port`. */
export async function publishedPort(container: string, port: string): Promise<number> {
  const out = await dockerOk(['port', container, port]);
  const m = /:(\d+)\s*$/m.exec(out.split('\n')[0] ?? '');
  if (!m) throw new Error(`no published port for ${container} ${port}: ${JSON.stringify(out)}`);
  return Number(m[1]);
}

/** Re-exported from wait.ts (its home now) so existing imports keep working; new code imports wait.js. */
export { eventually } from './wait.js';

/** Chaos: restart the bed's dockerd (only one the bed started) and wait until it answers again. */
export async function restartDockerDaemon(): Promise<void> {
  await bedScript('docker_restart_daemon', 'restarting dockerd');
}

/**
 * Chaos: restart one of the bed's extra engines (a DOCKER_HOST from dockerHosts()) and wait until it
 * answers again. Its containers keep running meanwhile (the extra engines run with live-restore).
 */
export async function restartExtraEngine(host: string): Promise<void> {
  const n = dockerHosts().indexOf(host) + 1;
  if (n === 0) throw new Error(`${host} is not one of the bed's extra engines (${dockerHosts().join(' ')})`);
  await bedScript(`engines_restart_daemon ${n}`, `restarting extra engine e${n}`);
}

async function bedScript(call: string, what: string): Promise<void> {
  const env = join(repoRoot, 'test/env');
  const r = await new Promise<RunResult>((resolve) => {
    const child = spawn('bash', ['-c', `set -euo pipefail; source "${env}/lib.sh"; source "${env}/docker.sh"; source "${env}/engines.sh"; ${call}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
  if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr.trim()}`);
}
