// A service's mounts: `volumes` (named, bind, anonymous, tmpfs), `tmpfs`, `configs` and `secrets`
// → the container's volumes (hostPath | volume | files) and tmpfs. Bind mounts become hostPath
// volumes and add their path to the policy the host needs; configs and secrets become `files`
// volumes, grouped by target directory because Berth delivers files as a directory. Pure.
import { createHash } from 'node:crypto';
import { posix, resolve } from 'node:path';
import { bytes, quantity } from './units.js';
import { isMap, type Json, type ProjectContext } from './context.js';

export interface Mount { hostPath?: string; volume?: string; files?: FilesSource; mountPath: string; readOnly?: boolean }
export interface FilesSource { configMap?: string; secret?: string; items: Array<{ key: string; path: string; mode?: number }> }
export interface Tmpfs { mountPath: string; size?: number | string; mode?: number }

const normal = (p: string): string => posix.normalize(p).replace(/(.)\/+$/, '$1');

interface Parsed { type: string; source?: string; target: string; readOnly: boolean; tmpfsSize?: unknown; ignored: string[] }

/** Long-syntax mount settings Berth has no field for (named in a warning when set). */
function ignoredLong(entry: Json): string[] {
  const out: string[] = [];
  if (entry.consistency !== undefined) out.push('consistency');
  for (const group of ['bind', 'volume', 'image'] as const) {
    const g = entry[group];
    if (isMap(g)) for (const k of Object.keys(g)) if (!(group === 'bind' && k === 'create_host_path')) out.push(`${group}.${k}`);
  }
  return out;
}

function parseVolume(entry: unknown): Parsed | undefined {
  if (isMap(entry)) {
    const tmpfs = isMap(entry.tmpfs) ? entry.tmpfs : {};
    return { type: String(entry.type), source: entry.source === undefined ? undefined : String(entry.source), target: String(entry.target ?? ''), readOnly: entry.read_only === true, tmpfsSize: tmpfs.size, ignored: ignoredLong(entry) };
  }
  const parts = String(entry).split(':');
  // "C:\\..." Windows sources are not for a Linux host anyway; keep to source:target[:mode].
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, readOnly: false, ignored: [] };
  const [source, target, mode = ''] = parts;
  const isPath = /^[./~]/.test(source!);
  const options = mode.split(',').filter(Boolean);
  return { type: isPath ? 'bind' : 'volume', source, target: target!, readOnly: options.includes('ro'), ignored: options.filter((o) => o !== 'ro' && o !== 'rw') };
}

export function mapMounts(service: string, svc: Json, ctx: ProjectContext): { volumes: Mount[]; tmpfs: Tmpfs[] } {
  const volumes: Mount[] = [];
  const tmpfs: Tmpfs[] = [];
  const at = (field: string) => `service ${service}: ${field}`;

  (Array.isArray(svc.volumes) ? svc.volumes : []).forEach((entry, i) => {
    const where = at(`volumes[${i}]`);
    const v = parseVolume(entry);
    if (!v || !v.target.startsWith('/')) { ctx.warn(where, `cannot map ${JSON.stringify(entry)}: the target must be an absolute path in the container`); return; }
    const mountPath = normal(v.target);
    if (v.ignored.length) ctx.warn(where, `mount option${v.ignored.length > 1 ? 's' : ''} ${v.ignored.join(', ')} not supported by Berth; mounted without`);
    if (v.type === 'tmpfs') {
      const size = bytes(v.tmpfsSize);
      tmpfs.push({ mountPath, ...(size ? { size: quantity(size) } : {}) });
    } else if (v.type === 'bind') {
      let source = v.source!;
      if (source.startsWith('~')) { ctx.warn(where, `"${source}": "~" is the home directory of whoever runs the agent's host; written as ${resolve(ctx.dir, source.slice(2))}, check it`); source = source.slice(2); }
      const hostPath = normal(resolve(ctx.dir, source));
      ctx.needs.hostPaths.add(hostPath);
      ctx.warn(where, `bind mount of ${hostPath}: the path must exist on the host the agent runs on; spec.policy.allowedHostPaths allows it`);
      volumes.push({ hostPath, mountPath, ...(v.readOnly ? { readOnly: true } : {}) });
    } else if (v.type === 'volume') {
      let volume = v.source ? ctx.volumes.get(v.source) : undefined;
      if (v.source && !volume) { ctx.warn(where, `volume "${v.source}" is not declared in the top-level volumes; used as an existing Docker volume of that name`); volume = v.source; }
      if (!volume) {
        // An anonymous volume: compose makes a fresh one per container; Berth keeps named volumes,
        // so give it a stable name the data survives recreation under.
        volume = `${ctx.project}_${service}_${createHash('sha256').update(mountPath).digest('hex').slice(0, 8)}`;
        ctx.warn(where, `anonymous volume at ${mountPath}: mapped to the named volume ${volume} (kept across recreation)`);
      }
      volumes.push({ volume, mountPath, ...(v.readOnly ? { readOnly: true } : {}) });
    } else {
      ctx.warn(where, `volume type "${v.type}" is not supported by Berth; not mounted`);
    }
  });

  for (const [i, entry] of (typeof svc.tmpfs === 'string' ? [svc.tmpfs] : Array.isArray(svc.tmpfs) ? svc.tmpfs : []).entries()) {
    const [path, opts = ''] = String(entry).split(':');
    if (!path?.startsWith('/')) { ctx.warn(at(`tmpfs[${i}]`), `"${String(entry)}" is not an absolute path; not mounted`); continue; }
    const size = bytes(/size=([^,]+)/.exec(opts)?.[1]);
    const mode = /mode=([0-7]+)/.exec(opts)?.[1];
    tmpfs.push({ mountPath: normal(path), ...(size ? { size: quantity(size) } : {}), ...(mode ? { mode: parseInt(mode, 8) } : {}) });
  }

  volumes.push(...fileMounts(service, svc, ctx));
  return { volumes, tmpfs };
}

/** configs and secrets → one `files` volume per (source kind, target directory). */
function fileMounts(service: string, svc: Json, ctx: ProjectContext): Mount[] {
  const groups = new Map<string, Mount>();
  for (const kind of ['configs', 'secrets'] as const) {
    (Array.isArray(svc[kind]) ? svc[kind] : []).forEach((entry, i) => {
      const where = `service ${service}: ${kind}[${i}]`;
      const e = isMap(entry) ? entry : { source: String(entry) };
      const source = String(e.source);
      const ref = kind === 'configs' ? ctx.configs.get(source) : ctx.secrets.get(source);
      if (!ref) { ctx.warn(where, `"${source}" is not declared in the top-level ${kind} (or could not be mapped); not mounted`); return; }
      // compose's default targets: /<name> for configs, /run/secrets/<name> for secrets; a
      // relative secret target is under /run/secrets.
      const raw = e.target === undefined ? (kind === 'configs' ? `/${source}` : `/run/secrets/${source}`) : String(e.target);
      const target = normal(raw.startsWith('/') ? raw : `/run/secrets/${raw}`);
      const dir = posix.dirname(target);
      if (dir === '/') { ctx.warn(where, `target ${target} is a file in "/": Berth mounts files as a directory, and "/" cannot be one; not mounted (give it a target in a directory)`); return; }
      const name = kind === 'configs' ? (ref as { configMap: string }).configMap : (ref as { secret: string }).secret;
      const groupKey = `${kind}\0${name}\0${dir}`;
      let mount = groups.get(groupKey);
      if (!mount) {
        const clash = [...groups.values()].find((m) => m.mountPath === dir);
        if (clash) { ctx.warn(where, `${dir} already receives files from another source; Berth mounts one files source per directory; not mounted`); return; }
        mount = { mountPath: dir, files: { ...(kind === 'configs' ? { configMap: name } : { secret: name }), items: [] } };
        groups.set(groupKey, mount);
        if (dir !== '/run/secrets') ctx.warn(where, `Berth delivers files as a directory: ${dir} in the container holds only the ${kind} files mapped there (anything the image keeps in ${dir} is hidden)`);
      }
      const mode = typeof e.mode === 'number' ? e.mode : typeof e.mode === 'string' ? parseInt(e.mode, 8) : undefined;
      if (e.uid !== undefined || e.gid !== undefined) ctx.warn(where, 'uid/gid are not supported by Berth files; the files are owned by root');
      mount.files!.items.push({ key: ref.key, path: posix.basename(target), ...(mode !== undefined && mode >= 0 && mode <= 0o777 ? { mode } : {}) });
    });
  }
  return [...groups.values()];
}
