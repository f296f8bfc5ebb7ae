// Top-level `include:` (the Compose Specification's "Include"): each entry is another compose
// application — one file, or several merged like -f — whose relative paths resolve against its own
// directory. Its services, networks, volumes, configs and secrets join the including file's; a name
// both define is an error, as in compose. Pure: `load` parses and interpolates a file.
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, type Json } from './context.js';
import { mergeFiles } from './merge.js';

export class IncludeError extends Error {}

const SECTIONS = ['services', 'networks', 'volumes', 'configs', 'secrets'] as const;
const abs = (dir: string, p: string): string => (isAbsolute(p) || p.startsWith('~') ? p : resolve(dir, p));

/** Relative paths of an included file (bind mounts, env_file, configs/secrets files, extends), made absolute against DIR. */
export function absolutize(model: Json, dir: string): Json {
  const out: Json = { ...model };
  const section = (name: string, fix: (v: Json) => Json) => {
    if (isMap(out[name])) out[name] = Object.fromEntries(Object.entries(out[name] as Json).map(([k, v]) => [k, isMap(v) ? fix({ ...v }) : v]));
  };
  section('configs', (c) => (typeof c.file === 'string' ? { ...c, file: abs(dir, c.file) } : c));
  section('secrets', (s) => (typeof s.file === 'string' ? { ...s, file: abs(dir, s.file) } : s));
  section('services', (svc) => {
    if (Array.isArray(svc.volumes)) {
      svc.volumes = svc.volumes.map((v) => {
        if (isMap(v)) return v.type === 'bind' && typeof v.source === 'string' ? { ...v, source: abs(dir, v.source) } : v;
        const [source, ...rest] = String(v).split(':');
        return rest.length && /^\.\.?(\/|$)/.test(source!) ? [abs(dir, source!), ...rest].join(':') : v;
      });
    }
    if (svc.env_file !== undefined) {
      const list = Array.isArray(svc.env_file) ? svc.env_file : [svc.env_file];
      svc.env_file = list.map((f) => (isMap(f) ? { ...f, path: abs(dir, String(f.path)) } : abs(dir, String(f))));
    }
    if (isMap(svc.extends) && typeof svc.extends.file === 'string') svc.extends = { ...svc.extends, file: abs(dir, svc.extends.file) };
    return svc;
  });
  return out;
}

/**
 * MODEL with its `include:` entries resolved (recursively): LOAD(file, projectDir, envFile?) returns
 * a file parsed and interpolated with that project's variables.
 */
export function resolveIncludes(model: Json, dir: string, load: (file: string, projectDir: string, envFile?: string) => Json, stack: string[] = []): Json {
  if (!Array.isArray(model.include)) return model;
  const { include, ...own } = model;
  const result: Json = { ...own };
  for (const entry of include as unknown[]) {
    const spec = isMap(entry) ? entry : { path: entry };
    const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => abs(dir, String(p)));
    const projectDir = typeof spec.project_directory === 'string' ? abs(dir, spec.project_directory) : dirname(paths[0]!);
    const envFile = typeof spec.env_file === 'string' ? abs(dir, spec.env_file) : Array.isArray(spec.env_file) ? abs(dir, String(spec.env_file[0])) : undefined;
    for (const p of paths) if (stack.includes(p)) throw new IncludeError(`include: cycle ${[...stack, p].join(' → ')}`);
    const files = paths.map((p) => resolveIncludes(load(p, projectDir, envFile), dirname(p), load, [...stack, p]));
    const included = absolutize(mergeFiles(files), projectDir);
    for (const name of SECTIONS) {
      const theirs = isMap(included[name]) ? included[name] as Json : {};
      const ours = isMap(result[name]) ? { ...(result[name] as Json) } : {};
      for (const [key, value] of Object.entries(theirs)) {
        if (key in ours && JSON.stringify(ours[key]) !== JSON.stringify(value)) throw new IncludeError(`include ${paths.join(', ')}: ${name}.${key} is also defined by the including file`);
        ours[key] = value;
      }
      if (Object.keys(ours).length) result[name] = ours;
    }
  }
  return result;
}
