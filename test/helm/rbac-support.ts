// The harness shared by the chart's RBAC tests (rbac.test.ts, rbac-rules.test.ts): Helm, the
// controller and agent run locally as processes (the controller AS a release's ServiceAccount, with
// exactly the args the chart renders), the status page's sign-in, and the admission fences that keep
// other tests' controllers out of these namespaces. Test-only.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { controllerArgs, Helm, parseObjects } from '../support/helm.js';
import { applyYaml, deleteTestNamespace, fenceYaml, kubectl, kubeToken, tokenKubeconfig, waitFenced, type Fence, type KubeUser } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

/** A Helm release: its namespace, and the namespace its hosts live in (watched). */
export interface Release { release: string; ns: string; watch: string }

export const helm = new Helm();
export const tmp = mkdtempSync(join(tmpdir(), 'berth-rbac-'));
export const id = randomBytes(3).toString('hex');
const children = new Set<ChildProcess>();
const output: string[] = [];

export const sa = (r: { release: string }) => `${r.release}-berth`;
export const fullname = sa;

/** A kubeconfig that authenticates as the release's ServiceAccount with a fresh bound token. */
async function saKubeconfig(r: { release: string; ns: string }): Promise<string> {
  const token = (await kubectl(['-n', r.ns, 'create', 'token', sa(r), '--duration=1h'], { check: true })).stdout.trim();
  return tokenKubeconfig(token, join(tmp, `${r.release}.kubeconfig`));
}

export function spawnBerth(args: string[], log: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const keep = (c: Buffer) => { log.push(c.toString()); output.push(c.toString()); if (output.length > 2000) output.splice(0, 1000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 10_000).unref(); });
}

/** The controller exactly as the installed chart runs it, but here, as its ServiceAccount. */
export async function startController(r: { release: string; ns: string }): Promise<{ child: ChildProcess; log: string[]; args: string[] }> {
  const manifest = (await helm.run(['get', 'manifest', r.release, '-n', r.ns], { check: true })).stdout;
  const args = controllerArgs(parseObjects(manifest)).map((a) => (a.startsWith('--listen=') ? '--listen=127.0.0.1:0' : a));
  const log: string[] = [];
  const child = spawnBerth(['controller', ...args, `--kubeconfig=${await saKubeconfig(r)}`], log);
  return { child, log, args };
}

/**
 * The bed is shared, and a Berth controller reconciles every ContainerHost it can see:
 * - in: other tests run controllers that watch ALL namespaces as the bed's admin (mode.test does);
 *   they would mint this test's tokens with their own key and write its status. The bed's `admin`
 *   may not create or update ContainerHosts, AgentTokens (status included) or Secrets in this
 *   test's host namespaces; the test itself writes there as another system:masters identity
 *   (impersonation, `asTest`), the controllers under test as their ServiceAccounts.
 * - out: an all-namespaces controller under test must not write to other tests' hosts: its
 *   ServiceAccount may not create or update those resources (nor Events) outside its own namespaces.
 *   It still lists and watches everything, which is what the cluster-wide install is about.
 * Each fence is a ValidatingAdmissionPolicy named `${fenceName}-<suffix>`; WATCHED is where the
 * `admin` fence is waited for (its message must say "belongs to test/helm/rbac…").
 */
const fenceName = `berth-test-rbac-${id}`;
export const asTest = ['--as=berth-rbac-test', '--as-group=system:masters'];
export async function fence(fences: Array<Omit<Fence, 'name'> & { suffix: string }>, watched: string): Promise<void> {
  await applyYaml(fences.map(({ suffix, ...f }) => fenceYaml({ name: `${fenceName}-${suffix}`, ...f })).join('---\n'));
  await waitFenced(watched, /belongs to test\/helm\/rbac/);
}

/**
 * test.after: kill what still runs, then the fences, releases, the hosts' finalizers (they keep
 * theirs when the controller is gone), namespaces and containers go, each step on its own.
 */
export async function cleanUp(o: { fences: string[]; releases: Release[]; containers: string[] }): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // Each step on its own: an apiserver restarted by another test must not leave the rest undone.
  const steps: Array<() => Promise<unknown>> = [
    () => kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', ...o.fences.map((s) => `${fenceName}-${s}`), '--ignore-not-found']),
    ...o.releases.filter((r) => r.ns).map((r) => () => helm.run(['uninstall', r.release, '-n', r.ns])),
    // ContainerHosts keep their finalizer when the controller is gone: drop it so the namespace goes.
    ...o.releases.map((r) => r.watch).filter(Boolean).map((ns) => () => kubectl(['-n', ns, 'patch', 'ch', 'app', 'probe', '--type=merge', '-p', '{"metadata":{"finalizers":null}}'])),
    ...o.releases.flatMap((r) => [r.ns, r.watch]).filter(Boolean).map((ns) => () => deleteTestNamespace(ns)),
    ...(o.containers.length ? [() => docker(['rm', '-f', ...o.containers])] : []),
  ];
  for (const step of steps) { try { await step(); } catch (err) { console.error(`cleanup step failed: ${(err as Error).message}`); } }
  helm.cleanup();
  rmSync(tmp, { recursive: true, force: true });
}

export const controllerUrl = (log: string[]) => /"url":"(http:\/\/[^"]+)"/.exec(log.join(''))?.[1];
export const logs = () => output.join('').slice(-6000);

/** The started controller's URL, once it serves. */
export function serving(c: { child: ChildProcess; log: string[] }): Promise<string> {
  return until('the controller serves', () => controllerUrl(c.log) ?? (c.child.exitCode !== null ? Promise.reject(new Error(`exited: ${logs()}`)) : undefined), 30_000);
}

export interface PageAnswer { status: number; message: string; cookie?: string; hosts?: string[] }

/** POST /api/v1/session with a bed user's bearer token, as the page's sign-in form does. */
export async function pageSignIn(url: string, user: KubeUser): Promise<PageAnswer> {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: kubeToken(user) }) });
  const body = await res.json() as { message?: string };
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, message: body.message ?? '', ...(cookie ? { cookie } : {}) };
}

/** GET /api/v1/hosts with a session cookie (none: anonymous). */
export async function pageHosts(url: string, cookie?: string): Promise<PageAnswer> {
  const res = await fetch(`${url}/api/v1/hosts`, cookie ? { headers: { Cookie: cookie } } : {});
  const body = await res.json() as { message?: string; items?: Array<{ metadata: { name: string } }> };
  return { status: res.status, message: body.message ?? '', ...(body.items ? { hosts: body.items.map((h) => h.metadata.name) } : {}) };
}

/** The host with no containers and its AgentToken that both files' controllers reconcile. */
export const probeYaml = `apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: probe }
spec: { containers: [] }
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: probe }
spec: { hostRef: { name: probe } }
`;
