// Host paths checked by where they really lead ON THE HOST. The policy checks are lexical, but a bind
// mount follows symlinks on the Docker host: a container allowed to write under /srv could plant
// /srv/x -> / and a later spec mounting /srv/x would get the whole root. So each hostPath is resolved
// component by component, symlinks included, and the result must lie under the allowed roots of
// both the host policy and the agent's ceiling.
//
// The resolution happens in the host's filesystem as the agent sees it: "/" for an agent on the host,
// the directory where the host's root is mounted for an agent in a container (`--host-root /host`
// with `-v /:/host:ro`). Absolute symlink targets are resolved against that root, never against the
// agent container's own filesystem. An agent in a container without the host's root cannot see
// where a path leads, so it refuses host paths with a message that says how to fix it.
//
// The container is then created with the RESOLVED path as the bind source, so Docker follows no
// symlink that existed at check time when it starts the container again later.
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerSpec } from '../protocol/container.js';
import { underAllowedRoot } from '../protocol/policy.js';
import { RuntimeError } from './runtime.js';

/** How this agent sees the host's filesystem. */
export type HostView = { kind: 'root'; root: string } | { kind: 'blind'; reason: string };

export const ON_HOST: HostView = { kind: 'root', root: '/' };

const MAX_SYMLINK_HOPS = 40;   // Linux's own limit (ELOOP)

/**
 * PATH (absolute, as on the host) with every symlink resolved inside ROOT, the host's "/" as this
 * process sees it. The part below the first missing component is kept as written (Docker creates it).
 */
export async function resolveOnHost(path: string, root: string): Promise<string> {
  const done: string[] = [];
  let todo = path.split('/').filter((s) => s !== '');
  let hops = 0;
  while (todo.length) {
    const part = todo.shift()!;
    if (part === '.') continue;
    if (part === '..') { done.pop(); continue; }
    const here = `/${[...done, part].join('/')}`;
    let isLink: boolean;
    try {
      isLink = (await lstat(join(root, here))).isSymbolicLink();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return `/${[...done, part, ...todo].join('/')}`;
      throw new RuntimeError('PolicyViolation', `cannot check where hostPath "${path}" leads on this host: ${code ?? (err as Error).message} at ${here}`);
    }
    if (!isLink) { done.push(part); continue; }
    if (++hops > MAX_SYMLINK_HOPS) throw new RuntimeError('PolicyViolation', `hostPath "${path}" goes through more than ${MAX_SYMLINK_HOPS} symlinks`);
    const target = await readlink(join(root, here));
    if (target.startsWith('/')) done.length = 0;
    todo = [...target.split('/').filter((s) => s !== ''), ...todo];
  }
  return `/${done.join('/')}`;
}

/** Root sets to check against (the host policy's, the ceiling's); a set with "/" allows everything. */
export type RootSets = ReadonlyArray<{ roots: readonly string[]; source: string }>;

/**
 * SPEC with each hostPath replaced by where it really leads on the host, after checking that this lies
 * under every root set (each set's roots count both as written and resolved: an allowed root may
 * itself be a symlink). Throws PolicyViolation with the reason otherwise.
 */
export async function checkHostPaths(spec: ContainerSpec, sets: RootSets, view: HostView): Promise<ContainerSpec> {
  if (!spec.volumes.some((v) => v.hostPath !== undefined)) return spec;
  const limiting = sets.filter((s) => !s.roots.includes('/'));
  if (limiting.length === 0) return spec;
  if (view.kind === 'blind') {
    throw new RuntimeError('PolicyViolation', `container "${spec.name}" mounts host paths, but ${view.reason}, so it cannot check where they lead on the host; mount the host's root read-only into the agent (-v /:/host:ro) and pass --host-root /host (env BERTH_HOST_ROOT), or run the agent on the host`);
  }
  const resolvedRoots = await Promise.all(limiting.map(async (s) => [...s.roots, ...await Promise.all(s.roots.map((r) => resolveOnHost(r, view.root)))]));
  const volumes = [];
  for (const v of spec.volumes) {
    if (v.hostPath === undefined) { volumes.push(v); continue; }
    const real = await resolveOnHost(v.hostPath, view.root);
    limiting.forEach((s, i) => {
      if (!underAllowedRoot(real, resolvedRoots[i]!)) {
        throw new RuntimeError('PolicyViolation', `refused by ${s.source}: container "${spec.name}": hostPath "${v.hostPath}" resolves through a symlink to "${real}" on this host, which is not under an allowed host path (allowed: ${s.roots.join(', ') || 'none'})`);
      }
    });
    volumes.push(real === v.hostPath ? v : { ...v, hostPath: real });
  }
  return { ...spec, volumes };
}
