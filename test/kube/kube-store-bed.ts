// The bed shared by the KubeStore tests (kube-store.test.ts, kube-store-secrets.test.ts) against the
// test bed's REAL kube-apiserver: one namespace per file (the store watches only it), one more as
// the controller namespace, one store started on them whose changes are recorded. Every wait is
// bounded. Test-only; test files use the live bindings (ns, store, ...) set by startKubeStore().
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { until } from '../support/wait.js';
import { KubeStore, type RequestRecord } from '../../controller/store/kube/kube-store.js';
import type { StoreChange } from '../../controller/store/store.js';
import { installCrds } from '../support/berth.js';
import { createTestNamespace, deleteTestNamespace, kubeconfig, kubectl } from '../support/kube.js';

export const logLines: string[] = [];
const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); if (process.env.BERTH_TEST_SHOW_LOGS) process.stderr.write(String(chunk)); cb(); } }));

export let ns = '';
export let ctrlNs = '';
const kc = new KubeConfig();
const stores: KubeStore[] = [];
export const requests: RequestRecord[] = [];
const events: StoreChange[] = [];
/** What a watchAll() listener (the status page) hears: events plus our own status writes. */
export const allChanges: StoreChange[] = [];
export let store: KubeStore;

export const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000) => until(what, fn, timeoutMs);

export function newStore(opts: Partial<ConstructorParameters<typeof KubeStore>[0]> = {}): KubeStore {
  const s = new KubeStore({ kubeConfig: kc, namespace: ns, controllerNamespace: ctrlNs, logger, ...opts });
  stores.push(s);
  return s;
}

export async function getJson(args: string[]): Promise<any> {
  return JSON.parse((await kubectl([...args, '-o', 'json'], { check: true })).stdout);
}

export const hostYaml = (name: string, image = 'nginx:1.27', extra = '') => `
apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata:
  name: ${name}
  namespace: ${ns}
${extra}spec:
  containers:
  - name: web
    image: ${image}
`;

export const eventsFor = (kind: StoreChange['kind'], key: string) => events.filter((e) => e.kind === kind && e.key === key).length;

/** test.before: the CRDs, this file's two namespaces, and the recording store, started. */
export async function startKubeStore(): Promise<void> {
  kc.loadFromFile(kubeconfig('admin'));
  await installCrds();
  ns = await createTestNamespace('berth-t-kstore');
  ctrlNs = await createTestNamespace('berth-t-kstore-ctl');
  store = newStore({ onRequest: (r) => requests.push(r) });
  store.subscribe((e) => events.push(e));
  store.watchAll((e) => allChanges.push(e));
  await store.start();
}

/** test.after: every store this file made stopped, its namespaces deleted. */
export async function stopKubeStores(): Promise<void> {
  await Promise.all(stores.map((s) => s.stop()));
  for (const n of [ns, ctrlNs]) if (n) await deleteTestNamespace(n);
}
