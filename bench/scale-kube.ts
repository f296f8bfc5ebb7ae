// bench/scale's Kubernetes mode: the fleet declared in fresh namespaces of the bed's apiserver, the
// controller's arguments, the token copier (an operator's provisioning: each agent's token copied
// from its Secret to a file the simulated agent reads), and the cleanup that leaves nothing behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { installCrds } from '../test/support/berth.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl } from '../test/support/kube.js';
import { bed } from '../test/support/testbed.js';
import { pool, sleep, track } from './scale-proc.js';

export interface KubeFleet { ns: string; sysNs: string }

/** CRDs installed, two fresh namespaces (hosts; the controller's own), and the declarations created 100 at a time. */
export async function declareKubeFleet(yamlsFor: (ns: string) => string[]): Promise<KubeFleet> {
  await installCrds();
  const ns = await createTestNamespace('berth-scale');
  const sysNs = await createTestNamespace('berth-scale-sys');
  const yamls = yamlsFor(ns);
  const chunks: string[] = [];
  for (let i = 0; i < yamls.length; i += 100) chunks.push(yamls.slice(i, i + 100).join('---\n'));
  await pool(chunks, 2, async (yaml) => { await kubectl(['create', '-f', '-'], { input: yaml, check: true, timeoutMs: 300_000 }); });
  return { ns, sysNs };
}

export function kubeControllerArgs(fleet: KubeFleet): string[] {
  return ['controller', '--kube', '--kubeconfig', kubeconfig('admin'), '--namespace', fleet.ns, '--controller-namespace', fleet.sysNs];
}

/**
 * Copies the token Secrets of NS into TOKEN_ROOT/NS/<name>.token as they appear — and again when a
 * token changes (agents re-read their file on every reconnect) — until the returned stop() is called.
 * It watches (`kubectl get --watch`: the list, then one document per change), as the kubelet's default
 * Watch strategy keeps a pod's Secret volume current: a token reaches its agent at once, and the run
 * does not list every Secret every 2 s — a load on the apiserver that the floor does not carry.
 */
export function startTokenCopier(ns: string, tokenRoot: string): () => Promise<void> {
  mkdirSync(join(tokenRoot, ns), { recursive: true });
  const have = new Map<string, string>();   // name → token as last copied
  interface SecretLike { kind?: string; metadata?: { name?: string }; data?: { token?: string }; items?: SecretLike[] }
  const copy = (o: SecretLike): void => {
    if (o.kind?.endsWith('List')) { for (const item of o.items ?? []) copy(item); return; }
    const name = o.metadata?.name, b64 = o.data?.token;
    if (!name || !b64 || have.get(name) === b64) return;
    writeFileSync(join(tokenRoot, ns, `${name}.token`), Buffer.from(b64, 'base64'), { mode: 0o600 });
    have.set(name, b64);
  };
  // `-o json --watch` prints each document (the first list, or a List per chunk, then one object
  // per change) pretty-printed: it ends at a line that is just "}".
  let doc: string[] = [];
  const onLine = (line: string): void => {
    doc.push(line);
    if (line !== '}') return;
    try { copy(JSON.parse(doc.join('\n')) as SecretLike); } catch { /* not a whole document: skipped */ }
    doc = [];
  };
  let stopped = false;
  let watch: ChildProcess | undefined;
  const loop = (async () => {
    // A watch ends when the apiserver closes it (timeout, restart): list and watch again.
    while (!stopped) {
      const child = watch = track(spawn(bed('BERTH_TEST_KUBECTL'), ['--kubeconfig', kubeconfig('admin'), '-n', ns, 'get', 'secrets', '--watch',
        '-o', 'json'], { stdio: ['ignore', 'pipe', 'ignore'] }));
      doc = [];
      createInterface({ input: child.stdout }).on('line', onLine);
      await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.once('error', () => resolve()); });
      if (!stopped) await sleep(1_000);
    }
  })();
  return async () => { stopped = true; watch?.kill(); await loop; };
}

/** Before the controller stops: force-delete every host (the controller drops its finalizers without agents). */
export async function releaseKubeFleet(fleet: KubeFleet): Promise<void> {
  await kubectl(['-n', fleet.ns, 'annotate', 'ch', '--all', '--overwrite', 'berth.dev/force-delete=true'], { timeoutMs: 300_000 });
  await kubectl(['-n', fleet.ns, 'delete', 'ch', '--all', '--wait=false'], { timeoutMs: 300_000 });
  for (let i = 0; i < 60; i++) {
    const r = await kubectl(['-n', fleet.ns, 'get', 'ch', '-o', 'name'], { timeoutMs: 60_000 });
    if (r.code === 0 && !r.stdout.trim()) break;
    await sleep(2_000);
  }
}

/** After the controller stopped: leftover finalizers must not pin objects; then both namespaces go. */
export async function deleteKubeFleet(fleet: KubeFleet): Promise<void> {
  const left = (await kubectl(['-n', fleet.ns, 'get', 'ch', '-o', 'name'])).stdout.split('\n').filter(Boolean).map((o) => o.replace(/^.*\//, ''));
  // 100 names per kubectl: one process per object took minutes at 1,000 hosts.
  const batches: string[][] = [];
  for (let i = 0; i < left.length; i += 100) batches.push(left.slice(i, i + 100));
  await pool(batches, 2, async (names) => { await kubectl(['-n', fleet.ns, 'patch', 'containerhosts', ...names, '--type=merge', '-p', '{"metadata":{"finalizers":null}}'], { timeoutMs: 300_000 }); });
  await deleteTestNamespace(fleet.ns);
  await deleteTestNamespace(fleet.sysNs);
}

/** The controller's berth_kube_requests_total by "verb resource" (e.g. "patch containerhosts/status"), from one scrape. */
export function kubeRequests(m: Map<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of m ?? []) {
    const r = /^berth_kube_requests_total\{verb="([^"]+)",resource="([^"]+)"\}$/.exec(k);
    if (r) out[`${r[1]} ${r[2]}`] = v;
  }
  return out;
}

export const formatRequests = (r: Record<string, number>, hosts: number) =>
  Object.entries(r).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${(v / hosts).toFixed(2)}`).join(', ');
