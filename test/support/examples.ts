// An example directory made unique for one test run, so that tests applying the same example never
// share a namespace, a container name, a named volume or a host port on the shared bed (the
// examples name fixed ones: berth-demo, greeter, web, 18081, …). Everything else stays as the
// example has it — that is what the test proves works. (Managed network names are kept: they are
// per host; a test that runs an example on the shared dockerd must map them itself.)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export interface UniqueExample {
  /** Every document of the example, rewritten, as one multi-document YAML stream (for kubectl apply -f -). */
  yaml: string;
  /** The example's namespace → this run's. */
  namespace(original: string): string;
  /** A container's (and so its Docker container's) name in this run. */
  container(original: string): string;
  /** Every namespace the rewritten example uses (to create first and delete after). */
  namespaces: string[];
}

type Doc = { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string }; spec?: Record<string, unknown> };
type Container = { name?: string; ports?: Array<{ hostPort?: number }>; volumes?: Array<{ volume?: string }>; dependsOn?: Array<{ name?: string }> };

function files(dir: string): string[] {
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : /\.ya?ml$/.test(n) ? [p] : [];
  });
}

/**
 * DIR's documents with namespaces suffixed `-ID`, containers and named volumes prefixed `xID-`, and
 * host ports mapped through HOSTPORT (default: dropped, so nothing binds a fixed port).
 */
export function uniqueExample(dir: string, id: string, hostPort: (original: number) => number | undefined = () => undefined): UniqueExample {
  const namespace = (ns: string) => `${ns}-${id}`;
  const container = (name: string) => `x${id}-${name}`;
  const used = new Set<string>();
  const docs: Doc[] = files(dir).flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as Doc)).filter(Boolean);
  for (const d of docs) {
    if (d.kind === 'Namespace' && d.metadata?.name) { d.metadata.name = namespace(d.metadata.name); used.add(d.metadata.name); }
    if (d.metadata?.namespace) { d.metadata.namespace = namespace(d.metadata.namespace); used.add(d.metadata.namespace); }
    if (d.kind !== 'ContainerHost') continue;
    for (const c of (d.spec?.containers ?? []) as Container[]) {
      if (c.name) c.name = container(c.name);
      for (const d of c.dependsOn ?? []) if (d.name) d.name = container(d.name);
      for (const v of c.volumes ?? []) if (v.volume) v.volume = container(v.volume);
      for (const p of c.ports ?? []) {
        if (p.hostPort === undefined) continue;
        const mapped = hostPort(p.hostPort);
        if (mapped === undefined) delete p.hostPort; else p.hostPort = mapped;
      }
    }
  }
  // A namespace the example only refers to (e.g. `default`) is declared first, so one apply works.
  const declared = new Set(docs.filter((d) => d.kind === 'Namespace').map((d) => d.metadata?.name));
  const extra: Doc[] = [...used].filter((n) => !declared.has(n)).map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as Doc);
  return { yaml: [...extra, ...docs].map((d) => stringify(d)).join('---\n'), namespace, container, namespaces: [...used] };
}
