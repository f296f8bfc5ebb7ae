// dependsOn as the planner and status need it: the graph, and the problems the apiserver cannot
// refuse (controller/api/depends-on.ts), each holding back the container it concerns.
import { dependencyProblems } from '../api/depends-on.js';
import type { ContainerHost } from '../api/types.js';
import type { PlanInput } from './planner.js';

export function dependencyInputs(host: ContainerHost): { plan: Pick<PlanInput, 'dependsOn' | 'blocked'>; problems: string[] } {
  const containers = host.spec.containers ?? [];
  if (!containers.some((c) => c.dependsOn?.length)) return { plan: {}, problems: [] };
  const problems = dependencyProblems(host.spec);
  const blocked = new Map<string, string>();
  for (const p of problems) {
    // A cycle holds back every container on it; the message names them all.
    const cycle = p.message.match(/cycle: (.*)$/)?.[1]?.split(' → ');
    for (const name of cycle ?? [p.container]) if (!blocked.has(name)) blocked.set(name, `held back: ${p.message}`);
  }
  return {
    plan: { dependsOn: new Map(containers.map((c) => [c.name, (c.dependsOn ?? []).map((d) => ({ name: d.name, condition: d.condition ?? 'Started' }))])), blocked },
    problems: problems.map((p) => `${p.container}: ${p.message}`),
  };
}
