// bench/scale's Kubernetes mode: the fleet declared in fresh namespaces of the bed's apiserver, the
// controller's arguments, the token copier (an operator's provisioning: each agent's token copied
// from its Secret to a file the simulated agent reads), and the cleanup that leaves nothing behind.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installCrds } from '../test/support/berth.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl } from '../test/support/kube.js';
import { pool, sleep } from './scale-proc.js';

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
 */
export function startTokenCopier(ns: string, tokenRoot: string, expected: number): () => Promise<void> {
  mkdirSync(join(tokenRoot, ns), { recursive: true });
  const have = new Map<string, string>();   // name → token as last copied
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const r = await kubectl(['-n', ns, 'get', 'secrets', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.data.token}{"\\n"}{end}'], { timeoutMs: 60_000 });
      for (const line of r.stdout.split('\n')) {
        const [name, b64] = line.split('\t');
        if (!name || !b64 || have.get(name) === b64) continue;
        writeFileSync(join(tokenRoot, ns, `${name}.token`), Buffer.from(b64, 'base64'), { mode: 0o600 });
        have.set(name, b64);
      }
      await sleep(have.size < expected ? 2_000 : 10_000);
    }
  })();
  return async () => { stopped = true; await loop.catch(() => undefined); };
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
