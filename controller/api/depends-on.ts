// dependsOn: the CEL twin of the one cheap rule (no self-dependency), and the rules CEL cannot
// express within the apiserver's cost limits (50 containers × their dependencies × 50 names, and
// cycles, which need a graph walk): unknown names, Healthy without a healthcheck, and cycles.
// `berth validate` and the directory store refuse those; in Kubernetes mode the apiserver accepts
// them and the controller reports them in the DependenciesValid condition, holding back only the
// containers concerned.
import type { PathSegment, RuleTwin, Violation } from './rules.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const DEPENDS_ON_TWINS: Readonly<Record<string, RuleTwin>> = {
  'a container cannot depend on itself': (self) => {
    const c = obj(self);
    return list(c.dependsOn).flatMap((d, j) => (obj(d).name === c.name ? [{ path: ['dependsOn', j, 'name'] } as Violation] : []));
  },
};

/** A cycle of container names (first repeated last), or undefined. Depth-first over `dependsOn`. */
export function dependencyCycle(containers: ReadonlyArray<{ name: string; dependsOn?: ReadonlyArray<{ name: string }> }>): string[] | undefined {
  const edges = new Map(containers.map((c) => [c.name, (c.dependsOn ?? []).map((d) => d.name)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    if (state.get(name) === 'done' || !edges.has(name)) return undefined;
    if (state.get(name) === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const next of edges.get(name)!) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const c of containers) {
    const cycle = visit(c.name);
    if (cycle) return cycle;
  }
  return undefined;
}

export interface DependencyProblem { container: string; index: number; message: string }

/** What is wrong with the dependsOn of a ContainerHost spec (defaulted): unknown names, Healthy without a healthcheck, a cycle. */
export function dependencyProblems(spec: unknown): DependencyProblem[] {
  const all = list(obj(spec).containers).map(obj);
  const byName = new Map(all.map((c) => [String(c.name), c]));
  const out: DependencyProblem[] = [];
  all.forEach((c, index) => list(c.dependsOn).map(obj).forEach((d) => {
    const dep = byName.get(String(d.name));
    if (d.name === c.name) return;   // the CEL rule's
    if (!dep) out.push({ container: String(c.name), index, message: `dependsOn must name another container of this host: no container "${String(d.name)}"` });
    else if (d.condition === 'Healthy' && dep.healthcheck === undefined) {
      out.push({ container: String(c.name), index, message: `dependsOn with condition Healthy needs a dependency with a healthcheck: "${String(d.name)}" has none` });
    }
  }));
  const cycle = dependencyCycle(all.map((c) => ({ name: String(c.name), dependsOn: list(c.dependsOn).map((d) => ({ name: String(obj(d).name) })) })));
  if (cycle) {
    const index = all.findIndex((c) => c.name === cycle[0]);
    out.push({ container: cycle[0]!, index, message: `dependsOn must not form a cycle: ${cycle.join(' → ')}` });
  }
  return out;
}

/** The same problems as validation issues at spec.containers[i].dependsOn. */
export const dependencyIssues = (spec: unknown): Array<{ path: PathSegment[]; message: string }> =>
  dependencyProblems(spec).map((p) => ({ path: ['spec', 'containers', p.index, 'dependsOn'], message: p.message }));
