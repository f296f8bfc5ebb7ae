// The harness shared by the DirectoryStore tests (dir-store.test.ts, dir-store-state.test.ts):
// real files in temporary directories, manifest builders, and a store opened on them whose changes
// are recorded. Test-only; nothing in the product imports it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { until } from '../../../test/support/wait.js';
import { DirectoryStore } from './dir-store.js';
import type { StoreChange } from '../store.js';

export const DEBOUNCE = 30;

export function tempDir(): string { return mkdtempSync(join(tmpdir(), 'berth-dir-store-')); }

export function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export function host(name: string, opts: { namespace?: string; image?: string; annotations?: string; comment?: string } = {}): string {
  return [
    opts.comment ? `# ${opts.comment}` : '',
    'apiVersion: berth.dev/v1alpha1',
    'kind: ContainerHost',
    'metadata:',
    `  name: ${name}`,
    opts.namespace ? `  namespace: ${opts.namespace}` : '',
    opts.annotations ? `  annotations: ${opts.annotations}` : '',
    'spec:',
    '  containers:',
    '  - name: web',
    `    image: ${opts.image ?? 'nginx:1.27'}`,
    '',
  ].filter((l, i, all) => l !== '' || i === all.length - 1).join('\n');
}

export function token(name: string, hostName = name, namespace?: string): string {
  return `apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata:\n  name: ${name}\n${namespace ? `  namespace: ${namespace}\n` : ''}spec:\n  hostRef: { name: ${hostName} }\n`;
}

export const waitFor = <T>(what: string, check: () => T | undefined | false | null, timeoutMs = 5000) => until(what, check, timeoutMs);

export interface Harness {
  dir: string; stateDir: string; store: DirectoryStore;
  /** Events emitted by start() (the first view), and events after it. */
  startEvents: string[]; events: string[]; barrier(): Promise<void>; stop(): Promise<void> }

let barriers = 0;
export async function open(dir: string, stateDir: string, paths: string[] = [dir]): Promise<Harness> {
  const store = new DirectoryStore({ paths, stateDir, debounceMs: DEBOUNCE, resyncMs: 0 });
  const events: string[] = [];
  store.subscribe((e: StoreChange) => { if (e.key !== 'default/zz-barrier') events.push(`${e.kind} ${e.key}`); });
  await store.start();
  const startEvents = events.splice(0);
  return {
    dir, stateDir, store, events, startEvents,
    /** Resolves once a full re-scan has run after everything written so far. */
    async barrier() {
      const n = String(++barriers);
      write(join(dir, 'zz-barrier.yaml'), `apiVersion: v1\nkind: Secret\nmetadata: { name: zz-barrier }\nstringData: { n: "${n}" }\n`);
      await waitFor('barrier', () => store.secret('default', 'zz-barrier')?.data.n?.toString() === n);
    },
    stop: () => store.stop(),
  };
}

export async function withStore(fn: (h: Harness) => Promise<void>, setup?: (dir: string) => void): Promise<void> {
  // setup writes the manifests the store finds at start.
  const dir = tempDir();
  const stateDir = tempDir();
  setup?.(dir);
  const h = await open(dir, stateDir);
  try { await fn(h); } finally { await h.stop(); rmSync(dir, { recursive: true, force: true }); rmSync(stateDir, { recursive: true, force: true }); }
}
