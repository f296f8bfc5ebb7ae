// The test bed's real helm for tests: caches, config and plugins in a temp dir (never ~/.cache/helm),
// KUBECONFIG the bed's admin, and helpers to render the Berth chart and read what it rendered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { kubeconfig, run, type RunOptions, type RunResult } from './kube.js';
import { repoRoot } from './paths.js';
import { bed } from './testbed.js';

export const CHART = join(repoRoot, 'helm/berth');

/** A manifest object as rendered (loosely typed: tests look at a few fields). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export class Helm {
  readonly home = mkdtempSync(join(tmpdir(), 'berth-helm-'));
  private readonly env: NodeJS.ProcessEnv = {
    ...process.env,
    HELM_CACHE_HOME: join(this.home, 'cache'), HELM_CONFIG_HOME: join(this.home, 'config'), HELM_DATA_HOME: join(this.home, 'data'),
    KUBECONFIG: kubeconfig('admin'),
  };

  run(args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(bed('BERTH_TEST_HELM'), args, { env: this.env, timeoutMs: 120_000, ...opts });
  }

  /** `helm template RELEASE helm/berth -n NS --set ...` → the objects (CRDs included when asked). */
  async template(release: string, namespace: string, set: readonly string[] = [], opts: { includeCrds?: boolean } = {}): Promise<{ yaml: string; objects: K8sObject[] }> {
    const args = ['template', release, CHART, '-n', namespace, ...(opts.includeCrds ? ['--include-crds'] : []), ...set.flatMap((s) => ['--set', s])];
    const r = await this.run(args, { check: true });
    return { yaml: r.stdout, objects: parseObjects(r.stdout) };
  }

  cleanup(): void { rmSync(this.home, { recursive: true, force: true }); }
}

export function parseObjects(yaml: string): K8sObject[] {
  return parseAllDocuments(yaml).map((d) => d.toJS() as K8sObject | null).filter((o): o is K8sObject => !!o && typeof o === 'object');
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** The controller container's args in a rendered Deployment. */
export function controllerArgs(objects: K8sObject[]): string[] {
  const deploy = find(objects, 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ name: string; args: string[] }> } } } } | undefined;
  const c = deploy?.spec.template.spec.containers.find((x) => x.name === 'controller');
  if (!c) throw new Error('no controller container in the rendered Deployment');
  return c.args;
}
