// Whether this agent sees the Docker host's filesystem, and where (host-paths.ts needs it to check
// where a hostPath really leads). Decided once, the first time a spec mounts a host path:
//  1. no container marker (/.dockerenv, /run/.containerenv): the agent runs on the host — "/".
//  2. in a container that the engine it drives runs (found by the container's hostname, Docker's
//     default being the container id): the host's root is where that container bind-mounts "/"
//     (`-v /:/host:ro`), or the agent is blind.
//  3. in a container the engine does not know: the engine runs elsewhere or beside us (a dockerd in
//     the same container, as in CI). The agent shares its filesystem only if the engine's data root
//     exists here too; otherwise it is blind (e.g. DOCKER_HOST on another machine).
// `--host-root DIR` skips all this. Blind means host paths are refused with a message saying how to fix it.
import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { ON_HOST, type HostView } from './host-paths.js';

/** Marker files container runtimes leave in a container's root (Docker, Podman). */
export const CONTAINER_MARKERS = ['/.dockerenv', '/run/.containerenv'];

/** The two engine calls detection needs (a dockerode subset, so tests can fake it). */
export interface EngineProbe {
  info(): Promise<{ DockerRootDir?: string }>;
  /** The container named/id'd NAME's mounts; undefined when the engine has no such container. */
  mountsOf(name: string): Promise<Array<{ Type?: string; Source?: string; Destination?: string }> | undefined>;
}

export interface DetectOptions { markers?: readonly string[]; hostname?: string; isDir?: (p: string) => boolean }

const isDirectory = (p: string): boolean => { try { return statSync(p).isDirectory(); } catch { return false; } };

export async function detectHostView(engine: EngineProbe, opts: DetectOptions = {}): Promise<HostView> {
  const marker = (opts.markers ?? CONTAINER_MARKERS).find((m) => existsSync(m));
  if (!marker) return ON_HOST;
  const isDir = opts.isDir ?? isDirectory;
  const self = await engine.mountsOf(opts.hostname ?? hostname());
  if (self) {
    const root = self.find((m) => m.Type === 'bind' && m.Source === '/' && m.Destination);
    if (root && isDir(root.Destination!)) return { kind: 'root', root: root.Destination! };
    return { kind: 'blind', reason: `this agent runs in a container (${marker}) that does not mount the host's root` };
  }
  const dataRoot = (await engine.info()).DockerRootDir;
  if (dataRoot && isDir(dataRoot)) return ON_HOST;
  return { kind: 'blind', reason: `this agent runs in a container (${marker}) and the Docker Engine's files (${dataRoot ?? 'its data root'}) are not visible here` };
}
