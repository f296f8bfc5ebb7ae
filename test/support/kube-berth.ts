// A Berth installation in Kubernetes mode for one end-to-end test file: a fresh namespace on the
// bed's real apiserver (the watched namespace and the controller namespace, so each file has its
// own Lease and signing key), real `berth controller --kube` processes (test/support/controller-proc.ts,
// so the ping interval and access timers can be shortened), real `berth agent` processes on the
// bed's dockerd, and cleanup of every process, object and container it made.
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunControllerOptions } from '../../cli/controller.js';
import type { BackoffOptions } from '../../protocol/backoff.js';
import { OutputBuffer, readyz, spawnBerth } from './berth-process.js';
import { installCrds } from './berth.js';
import { docker } from './docker.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubeconfig, kubectl } from './kube.js';
import { metricsText, metricValue } from './metrics.js';
import { until } from './wait.js';
import { agentHandshake } from './ws-probe.js';

// Older names, kept for the files that import them from here; new code imports the homes above.
export { metricsText, metricValue, readyz };

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process wrote (stdout and stderr), newest last. */
  output(): string;
  /** Its JSON log lines, parsed (lines that are not JSON are skipped). */
  lines(): Array<Record<string, unknown>>;
}

export interface ControllerProc extends Proc { readonly url: string }

export interface KubeHost {
  metadata: { name: string; uid: string; deletionTimestamp?: string; finalizers?: string[]; annotations?: Record<string, string> };
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> };
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

export class KubeBerth {
  readonly id = randomBytes(3).toString('hex');
  ns = '';
  readonly tmp = mkdtempSync(join(tmpdir(), 'berth-kube-e2e-'));
  readonly procs: Proc[] = [];

  constructor(private readonly prefix: string) {}

  async setup(): Promise<void> {
    await installCrds();
    this.ns = await createTestNamespace(this.prefix);
  }

  /** A Docker container name unique to this file's run (names are global on the engine). */
  name(short: string): string { return `k${this.id}-${short}`; }

  private spawn(name: string, args: string[], env: NodeJS.ProcessEnv = {}, entry = 'bin/berth.js'): Proc {
    const buffer = new OutputBuffer({ unbounded: true });
    const { child } = spawnBerth(args, { env, output: buffer, entry });
    const output = () => buffer.all();
    const lines = () => output().split('\n').flatMap((l) => { try { const v = JSON.parse(l) as unknown; return v && typeof v === 'object' ? [v as Record<string, unknown>] : []; } catch { return []; } });
    const p = { name, child, output, lines };
    this.procs.push(p);
    return p;
  }

  /**
   * Starts `berth controller --kube` watching this namespace (its Lease and key there too); resolves
   * once it serves HTTP (not once it leads: see waitLeader).
   */
  async startController(opts: { seams?: RunControllerOptions; logLevel?: string; agentUrl?: string; uiAuth?: 'kubernetes' | 'none'; name?: string } = {}): Promise<ControllerProc> {
    // controller-proc.ts is `berth controller` itself: no subcommand word.
    const args = ['--kube', '--kubeconfig', kubeconfig('admin'), '--namespace', this.ns, '--controller-namespace', this.ns,
      '--listen', '127.0.0.1:0', '--log-level', opts.logLevel ?? 'info', '--ui-auth', opts.uiAuth ?? 'none', ...(opts.agentUrl ? ['--agent-url', opts.agentUrl] : [])];
    const p = this.spawn(opts.name ?? `controller-${this.procs.length}`, args, { BERTH_TEST_CONTROLLER_SEAMS: JSON.stringify(opts.seams ?? {}) }, 'dist/test/support/controller-proc.js');
    const url = await until(`${p.name} to serve`, () => {
      if (!alive(p.child)) throw new Error(`${p.name} exited:\n${p.output().slice(-4000)}`);
      return /"url":"(http:\/\/[^"]+)"/.exec(p.output())?.[1];
    }, 30_000, 100);
    return Object.assign(p, { url });
  }

  /** The usual `test.before` of a file: the namespace set up, one controller started in it and leading. */
  async setupLeading(opts: Parameters<KubeBerth['startController']>[0] = {}): Promise<ControllerProc> {
    await this.setup();
    const controller = await this.startController(opts);
    await this.waitLeader(controller);
    return controller;
  }

  /** Waits until the controller's /readyz says 200 (it leads). */
  waitLeader(c: ControllerProc, timeoutMs = 30_000): Promise<true> {
    return until(`${c.name} to lead`, async () => (await readyz(c.url)) === 200 || undefined, timeoutMs, 100);
  }

  /** A ContainerHost with the given `containers:` list (YAML) and its AgentToken. */
  hostYaml(host: string, containers: string): string {
    return `apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: ${host}, namespace: ${this.ns} }
spec:
  containers:
${containers.replace(/^/gm, '  ')}
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: ${host}, namespace: ${this.ns} }
spec: { hostRef: { name: ${host} } }
`;
  }

  /** One long-running busybox container entry for hostYaml, named uniquely. */
  sleeper(short: string): string {
    return `- { name: ${this.name(short)}, image: busybox:latest, imagePullPolicy: IfNotPresent, command: [sh, -c, "trap 'exit 0' TERM; while true; do echo tick; sleep 1; done"], stopTimeoutSeconds: 1 }`;
  }

  apply(yaml: string): Promise<unknown> { return applyYaml(yaml, { namespace: this.ns }); }

  /** The token Secret's values: the JWT as the agent reads it, and the Secret's base64 as stored. */
  async tokenSecret(host: string, notJwt?: string): Promise<{ token: string; base64: string; url: string }> {
    let foreign = '';
    try {
      return await until(`the token Secret of ${host}`, async () => {
        const r = await kubectl(['-n', this.ns, 'get', 'secret', `${host}-agent-token`, '-o', 'json']);
        if (r.code !== 0) return undefined;
        const data = (JSON.parse(r.stdout) as { data?: Record<string, string> }).data ?? {};
        if (!data.token) return undefined;
        const token = Buffer.from(data.token, 'base64').toString();
        if (token === notJwt) return undefined;
        // Signed with this namespace's key, i.e. by our controller: a controller watching ALL
        // namespaces (another test running beside this one) would mint into our Secrets too.
        const kid = (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid?: string }).kid;
        if (kid !== await this.signingKid()) { foreign = kid ?? '(none)'; return undefined; }
        return { token, base64: data.token, url: Buffer.from(data.url ?? '', 'base64').toString() };
      }, 30_000, 200);
    } catch (err) {
      throw new Error(foreign
        ? `the token Secret of ${host} holds a token signed by key ${foreign}, not this namespace's key: another Berth controller watching all namespaces (a test without --namespace running at the same time?) is reconciling this test's objects`
        : `${(err as Error).message}\n${this.controllerTail()}`);
    }
  }

  /** For a timeout's message: what this file's controllers last logged at warn and above, or about tokens. */
  private controllerTail(): string {
    const lines = this.procs.filter((p) => p.name.startsWith('controller')).flatMap((p) => p.lines().map((l) => ({ p: p.name, l })))
      .filter(({ l }) => Number(l.level) >= 40 || /token/i.test(String(l.msg ?? '')) || 'token' in l);
    return `  controller log (warn+ and token lines, last 20):\n${lines.slice(-20).map(({ p, l }) => `    ${p}: ${JSON.stringify(l).slice(0, 400)}`).join('\n')}`;
  }

  private async signingKid(): Promise<string | undefined> {
    const r = await kubectl(['-n', this.ns, 'get', 'secret', 'berth-signing-key', '-o', 'json']);
    if (r.code !== 0) return undefined;
    const [value] = Object.values((JSON.parse(r.stdout) as { data?: Record<string, string> }).data ?? {});
    return value ? (JSON.parse(Buffer.from(value, 'base64').toString()) as { kid?: string }).kid : undefined;
  }

  /** Starts `berth agent` for `host` with the token now in its Secret, dialling `url`. */
  /**
   * Starts `berth agent` for `host` with the token now in its Secret, dialling `url`. `backoff`
   * runs the chaos agent instead (test/chaos/agent-proc.ts: the same code path with these
   * reconnect-backoff options).
   */
  async startAgent(host: string, url: string, opts: { logLevel?: string; token?: string; backoff?: BackoffOptions; args?: string[] } = {}): Promise<Proc & { tokenFile: string }> {
    const token = opts.token ?? (await this.tokenSecret(host)).token;
    const tokenFile = join(this.tmp, `${host}-${this.procs.length}.token`);
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const args = ['--url', url.replace(/^http/, 'ws'), '--token-file', tokenFile, '--log-level', opts.logLevel ?? 'info', ...(opts.args ?? [])];
    const p = opts.backoff
      ? this.spawn(`agent-${host}`, args, { BERTH_CHAOS_BACKOFF: JSON.stringify(opts.backoff) }, 'dist/test/chaos/agent-proc.js')
      : this.spawn(`agent-${host}`, ['agent', ...args]);
    return Object.assign(p, { tokenFile });
  }

  async host(name: string): Promise<KubeHost | undefined> {
    const r = await kubectl(['-n', this.ns, 'get', 'containerhost', name, '-o', 'json']);
    if (r.code !== 0) { if (/NotFound/.test(r.stderr)) return undefined; throw new Error(r.stderr); }
    return JSON.parse(r.stdout) as KubeHost;
  }

  /** Waits until the host's condition `type` has `status` (and `reason`, when given); returns it. */
  async waitCondition(name: string, type: string, status: string, reason?: string, timeoutMs = 60_000) {
    try {
      return await until(`${name} ${type}=${status}${reason ? ` (${reason})` : ''}`, async () => {
        const c = condition(await this.host(name), type);
        return c && c.status === status && (!reason || c.reason === reason) ? c : undefined;
      }, timeoutMs, 200);
    } catch (err) {
      // Say what the host and the processes were doing: a bare timeout explains nothing.
      const h = await this.host(name).catch(() => undefined);
      throw new Error(`${(err as Error).message}\nconditions: ${JSON.stringify(h?.status?.conditions)}\n${this.tails()}`);
    }
  }

  /** The end of every process's output, for failure messages. */
  tails(chars = 2500): string {
    return this.procs.map((p) => `--- ${p.name} (pid ${p.child.pid}):\n${p.output().slice(-chars)}`).join('\n');
  }

  /** The host's managed containers on the bed's dockerd: name → ID (running or not). */
  async containers(host: string): Promise<Map<string, string>> {
    const r = await docker(['ps', '-a', '--filter', `label=berth.dev/host=${this.ns}/${host}`, '--format', '{{.Names}}\t{{.ID}}']);
    return new Map(r.stdout.trim().split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]));
  }

  /** Kubernetes Events of this namespace, as JSON text. */
  async eventsJson(): Promise<string> {
    return (await kubectl(['-n', this.ns, 'get', 'events', '-o', 'json'], { check: true })).stdout;
  }

  stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!p || !alive(p.child)) return Promise.resolve();
    return new Promise((resolve) => { p.child.once('exit', () => resolve()); p.child.kill(signal); });
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs) if (p.child.signalCode === 'SIGSTOP' || alive(p.child)) { try { p.child.kill('SIGCONT'); } catch { /* gone */ } }
    await Promise.all(this.procs.map((p) => this.stop(p, 'SIGKILL')));
    if (this.ns) {
      // Hosts left with Berth's finalizer would hold the namespace's objects: drop it first.
      const hosts = await kubectl(['-n', this.ns, 'get', 'containerhost', '-o', 'name']);
      for (const h of hosts.stdout.split('\n').filter(Boolean)) await kubectl(['-n', this.ns, 'patch', h, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      const ids = (await docker(['ps', '-aq', '--filter', `name=k${this.id}-`])).stdout.trim().split('\n').filter(Boolean);
      if (ids.length) await docker(['rm', '-f', ...ids]);
      await deleteTestNamespace(this.ns);
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

export const condition = (h: KubeHost | undefined, type: string) => h?.status?.conditions?.find((c) => c.type === type);

/** The HTTP status of an agent's WebSocket upgrade with `token` (101 = accepted, then closed). */
export async function agentUpgradeStatus(url: string, token: string): Promise<number> {
  return (await agentHandshake(url, token, { close: true })).status;
}
