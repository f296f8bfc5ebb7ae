// A Berth installation for one system test: a temp manifest directory and state directory, the
// real `berth controller` and `berth agent` as child processes (so tests can SIGKILL them), a unique
// namespace and container-name prefix, and cleanup of every container and volume it made.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker } from './docker.js';
import { OutputBuffer, spawnBerth, startBerthController } from './berth-process.js';
import { until } from './wait.js';
import type { RunControllerOptions } from '../../cli/controller.js';

export interface HostView {
  metadata: { name: string; namespace: string; uid: string; generation: number };
  spec: Record<string, unknown>;
  status: {
    ready?: string;
    agent?: { connected?: boolean; lastSeenAt?: string };
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
    containers?: Array<{ name: string; state: string; ready: boolean; containerID?: string; message?: string; health?: string }>;
  };
}

/** Re-exported from wait.ts (its home now) so existing imports keep working; new code imports wait.js. */
export { until } from './wait.js';

export const condition = (h: HostView | undefined, type: string) => h?.status.conditions?.find((c) => c.type === type);

export class BerthEnv {
  readonly id = randomBytes(3).toString('hex');
  readonly namespace = `bt-${this.id}`;
  readonly root = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  readonly manifests = join(this.root, 'manifests');
  readonly state = join(this.root, 'state');
  controller?: ChildProcess;
  readonly agents = new Map<string, ChildProcess>();
  url = '';
  /** The controller runs with --ui-auth token: get() sends the UI token as a bearer header. */
  private uiAuth = false;
  /** Controller and agents share one buffer, so a failure shows them interleaved. */
  private readonly output = new OutputBuffer();

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
    return spawnBerth(args, { env, output: this.output }).child;
  }

  /** Start (or restart) the controller; resolves once it serves. Keeps the port across restarts. */
  async startController(extra: string[] = [], opts: { seams?: RunControllerOptions } = {}): Promise<void> {
    const listen = this.url ? this.url.replace(/^http:\/\//, '') : '127.0.0.1:0';
    const started = await startBerthController(['--dir', this.manifests, '--state', this.state, '--listen', listen, '--log-level', 'info', ...extra], { output: this.output, ...opts });
    this.controller = started.child;
    this.url = started.url;
    this.uiAuth = /--ui-auth[= ]token/.test(extra.join(' '));
  }

  /** The controller's UI token (<state>/ui-token). */
  uiToken(): string { return readFileSync(join(this.state, 'ui-token'), 'utf8').trim(); }

  tokenFile(host: string): string { return join(this.state, 'tokens', this.namespace, `${host}-agent-token.token`); }

  /** Start the agent of `host` with its minted token: `berth agent`, or with `entry` (a path under the repository, e.g. the agent bundle dist/agent-bundle/berth-agent.mjs) that file, with the same flags. */
  async startAgent(host: string, env: NodeJS.ProcessEnv = {}, opts: { entry?: string; node?: string; nodeArgs?: readonly string[] } = {}): Promise<ChildProcess> {
    const file = this.tokenFile(host);
    await until(`token file ${file}`, () => existsSync(file), 15_000);
    const args = ['--url', this.url.replace(/^http/, 'ws'), '--token-file', file, '--log-level', 'info'];
    const child = opts.entry ? spawnBerth(args, { env, output: this.output, entry: opts.entry, node: opts.node, nodeArgs: opts.nodeArgs }).child : this.spawnBerth(['agent', ...args], env);
    this.agents.set(host, child);
    return child;
  }

  async get<T = unknown>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, this.uiAuth ? { headers: { authorization: `Bearer ${this.uiToken()}` } } : {});
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

  /** The processes' output so far: the last MAX characters (Infinity: all that is kept). */
  logs(max = 8000): string { return this.output.text(max); }

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
