// A Berth installation for one system test: a temp manifest directory and state directory, the
// real `berth controller` and `berth agent` as child processes (so tests can SIGKILL them), a unique
// namespace and container-name prefix, and cleanup of every container and volume it made.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker } from './docker.js';
import { repoRoot } from './paths.js';
import { bed } from './testbed.js';

export interface HostView {
  metadata: { name: string; namespace: string; uid: string; generation: number };
  spec: Record<string, unknown>;
  status: {
    ready?: string;
    agent?: { connected?: boolean };
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
    containers?: Array<{ name: string; state: string; ready: boolean; containerID?: string; message?: string; health?: string }>;
  };
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try { const v = await probe(); if (v !== undefined && v !== false) return v as T; last = v; } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const condition = (h: HostView | undefined, type: string) => h?.status.conditions?.find((c) => c.type === type);

/**
 * Every berth process a BerthEnv started in this test process and that is still running. A test
 * process that dies before its after-hook (an uncaught error) must not leave a controller and an
 * agent reconciling on the shared dockerd: they are killed when this process exits, however it exits.
 */
const liveChildren = new Set<ChildProcess>();
process.on('exit', () => { for (const c of liveChildren) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

export class BerthEnv {
  readonly id = randomBytes(3).toString('hex');
  readonly namespace = `bt-${this.id}`;
  readonly root = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  readonly manifests = join(this.root, 'manifests');
  readonly state = join(this.root, 'state');
  controller?: ChildProcess;
  readonly agents = new Map<string, ChildProcess>();
  url = '';
  private readonly output: string[] = [];

  constructor() { mkdirSync(this.manifests, { recursive: true }); }

  /** A container name unique to this test run (container names are global on the Docker host). */
  name(short: string): string { return `t${this.id}-${short}`; }

  write(relPath: string, text: string): void {
    const file = join(this.manifests, relPath);
    mkdirSync(dirname(file), { recursive: true });
    // Write then rename, as git does: the store never sees a half-written file here.
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }

  remove(relPath: string): void { rmSync(join(this.manifests, relPath), { force: true }); }

  /** A ContainerHost (and its AgentToken) in this env's namespace, as YAML. */
  hostYaml(host: string, spec: string, token = true): string {
    const tokenDoc = token ? `---\napiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: ${host}, namespace: ${this.namespace} }\nspec: { hostRef: { name: ${host} } }\n` : '';
    return `apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: ${host}, namespace: ${this.namespace} }\nspec:\n${spec.replace(/^/gm, '  ')}\n${tokenDoc}`;
  }

  private spawnBerth(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
    const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], {
      env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST'), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    const keep = (chunk: Buffer) => { this.output.push(chunk.toString()); if (this.output.length > 2000) this.output.splice(0, 1000); };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return child;
  }

  /** Start (or restart) the controller; resolves once it serves. Keeps the port across restarts. */
  async startController(extra: string[] = []): Promise<void> {
    const listen = this.url ? this.url.replace(/^http:\/\//, '') : '127.0.0.1:0';
    const child = this.spawnBerth(['controller', '--dir', this.manifests, '--state', this.state, '--listen', listen, '--log-level', 'info', ...extra]);
    this.controller = child;
    this.url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const onData = (chunk: Buffer) => {
        buf += chunk.toString();
        const m = /"url":"(http:\/\/[^"]+)"/.exec(buf);
        if (m) { child.stdout!.off('data', onData); resolve(m[1]!); }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`controller exited with ${code} before serving:\n${this.logs()}`)));
      setTimeout(() => reject(new Error(`controller did not report its URL within 30 s (it must log at info):\n${this.logs()}`)), 30_000).unref();
    });
  }

  tokenFile(host: string): string { return join(this.state, 'tokens', this.namespace, `${host}-agent-token.token`); }

  /** Start the agent of `host` with its minted token. */
  async startAgent(host: string, env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
    const file = this.tokenFile(host);
    await until(`token file ${file}`, () => existsSync(file), 15_000);
    const child = this.spawnBerth(['agent', '--url', this.url.replace(/^http/, 'ws'), '--token-file', file, '--log-level', 'info'], env);
    this.agents.set(host, child);
    return child;
  }

  async get<T = unknown>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`);
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* plain text */ }
    return { status: res.status, body: body as T };
  }

  async host(name: string): Promise<HostView | undefined> {
    const r = await this.get<HostView>(`/api/v1/hosts/${this.namespace}/${name}`);
    return r.status === 200 ? r.body : undefined;
  }

  /** Wait until the host's status satisfies `check` (returning a truthy value). */
  waitHost<T>(name: string, what: string, check: (h: HostView) => T | undefined | false, timeoutMs = 60_000): Promise<T> {
    return until(what, async () => { const h = await this.host(name); return h ? check(h) : undefined; }, timeoutMs);
  }

  waitReady(name: string, timeoutMs = 60_000): Promise<HostView> {
    return this.waitHost(name, `${name} Ready`, (h) => (condition(h, 'Ready')?.status === 'True' ? h : undefined), timeoutMs);
  }

  kill(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => { child.once('exit', () => resolve()); child.kill(signal); });
  }

  /** Docker container names on the host labelled for this env's namespace. */
  async containers(host: string): Promise<Array<{ name: string; id: string; state: string }>> {
    const r = await docker(['ps', '-a', '--filter', `label=berth.dev/host=${this.namespace}/${host}`, '--format', '{{.Names}}\t{{.ID}}\t{{.State}}']);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => { const [name, id, state] = l.split('\t'); return { name: name!, id: id!, state: state! }; });
  }

  /** The processes' output so far: the last MAX characters (Infinity: all of it). */
  logs(max = 8000): string { return this.output.join('').slice(-max); }

  async cleanup(): Promise<void> {
    for (const a of this.agents.values()) await this.kill(a, 'SIGTERM');
    await this.kill(this.controller, 'SIGTERM');
    const ids = (await docker(['ps', '-aq', '--filter', `name=t${this.id}-`])).stdout.trim().split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '-f', ...ids]);
    const vols = (await docker(['volume', 'ls', '-q', '--filter', `name=t${this.id}-`])).stdout.trim().split('\n').filter(Boolean);
    if (vols.length) await docker(['volume', 'rm', '-f', ...vols]);
    rmSync(this.root, { recursive: true, force: true });
  }
}
