// The last step: the converted ContainerHost is checked by the same validator `berth validate`
// uses (the CRD schema and its CEL twins). Whatever this Berth's CRD does not accept — a field an
// older CRD lacks, a value out of its bounds — is removed and said in a warning, so the output
// always passes `berth validate` and nothing disappears without a word.
import { formatPath, ResourceValidator } from '../../controller/api/validate.js';
import type { PathSegment } from '../../controller/api/rules.js';
import { isMap, type Json } from './context.js';

let shared: ResourceValidator | undefined;
const validator = (): ResourceValidator => (shared ??= new ResourceValidator());

/** Removes what the CRD rejects, one field at a time, until the host validates. Mutates HOST. */
export function fitToCrd(host: Json, warn: (where: string, message: string) => void, v: ResourceValidator = validator()): void {
  for (let round = 0; round < 200; round++) {
    const { issues } = v.validate(host);
    if (issues.length === 0) return;
    const issue = issues[0]!;
    if (!drop(host, issue.path, `${formatPath(issue.path)}: ${issue.message}`, warn)) {
      throw new Error(`converted ContainerHost is invalid and cannot be repaired: ${formatPath(issue.path)}: ${issue.message}`);
    }
  }
  throw new Error('converted ContainerHost still invalid after removing 200 fields');
}

function drop(host: Json, path: PathSegment[], why: string, warn: (where: string, message: string) => void): boolean {
  const spec = host.spec as Json;
  if (path[0] !== 'spec') return false;
  const [, section, index, field] = path;
  if (section === 'containers' && typeof index === 'number' && Array.isArray(spec.containers)) {
    const c = spec.containers[index] as Json | undefined;
    if (!c) return false;
    if (field === undefined || field === 'name' || field === 'image') {
      spec.containers.splice(index, 1);
      warn(`container ${String(c.name)}`, `not accepted by Berth's ContainerHost schema (${why}); container not converted`);
      return true;
    }
    // Drop the smallest piece that carries the problem: the deepest list item the path names
    // (one alias, one port), else the whole field.
    const where = removeDeepest(c, path.slice(3));
    warn(`container ${String(c.name)}: ${where}`, `not accepted by Berth's ContainerHost schema (${why}); dropped`);
    return true;
  }
  if ((section === 'networks' || section === 'policy') && spec[section as string] !== undefined) {
    const value = spec[section as string];
    if (section === 'networks' && typeof index === 'number' && Array.isArray(value) && value.length > 1) value.splice(index, 1);
    else if (section === 'policy' && typeof index === 'string' && isMap(value)) delete value[index];
    else delete spec[section as string];
    warn(`spec.${String(section)}`, `not accepted by Berth's ContainerHost schema (${why}); dropped`);
    return true;
  }
  if (typeof section === 'string' && section in spec) { delete spec[section]; warn(`spec.${section}`, `not accepted (${why}); dropped`); return true; }
  return false;
}

/** Removes the deepest array element along PATH inside OBJ (or the top field); returns what it removed, as a path. */
function removeDeepest(obj: Json, path: PathSegment[]): string {
  const nodes: unknown[] = [obj];
  for (const seg of path) {
    const parent = nodes.at(-1) as Record<string | number, unknown> | undefined;
    if (parent === undefined || parent === null || typeof parent !== 'object' || !(seg in parent)) break;
    nodes.push(parent[seg]);
  }
  for (let i = nodes.length - 1; i >= 1; i--) {
    const seg = path[i - 1];
    const parent = nodes[i - 1];
    if (typeof seg !== 'number' || !Array.isArray(parent)) continue;
    if (parent.length > 1) { parent.splice(seg, 1); return formatPath(path.slice(0, i)); }
    // The only item: drop the list itself, when something other than the container holds it.
    if (i >= 3) { delete (nodes[i - 2] as Record<string | number, unknown>)[path[i - 2]!]; return formatPath(path.slice(0, i - 1)); }
  }
  delete obj[path[0] as string];
  return String(path[0]);
}
