// `files` volumes: the content of a ConfigMap or Secret delivered without a host path the user
// manages. Each files volume of a container gets a Berth-owned Docker volume, named after the
// container, the mount's index and the spec hash (the hash covers the content, so new content is
// a new volume). It is filled through the Engine's archive API into a never-started "loader"
// container that mounts the volume read-write, and the real container mounts it read-only — so the
// files are truly read-only, work with readOnlyRootFilesystem and with a remote engine, and nothing
// is written on the host outside Docker. The volumes go with their container (recreated or removed).
import type Docker from 'dockerode';
import { LABELS, type ContainerSpec } from '../protocol/container.js';
import { ignoring, orUndefinedOn404 } from './docker-errors.js';
import type { ManagedIdentity } from './docker-options.js';
import { tarArchive } from './tar.js';

const LOADER_TARGET = '/berth-files';
const LOADER_LABEL = 'berth.dev/files-loader';

/** The Docker volume holding the files of SPEC's volume at INDEX. */
export const filesVolumeName = (spec: Pick<ContainerSpec, 'name' | 'specHash'>, index: number): string =>
  `berth-files-${spec.name}-${index}-${spec.specHash.slice(0, 12)}`;

/** Create and fill the files volumes SPEC mounts (an existing one already has this content: same hash). */
export async function ensureFilesVolumes(docker: Docker, spec: ContainerSpec, id: ManagedIdentity): Promise<void> {
  for (const [index, v] of spec.volumes.entries()) {
    if (!v.files) continue;
    const name = filesVolumeName(spec, index);
    if (await orUndefinedOn404(() => docker.getVolume(name).inspect())) continue;
    await docker.createVolume({ Name: name, Labels: { [LABELS.managed]: 'true', [LABELS.host]: id.hostKey, [LABELS.files]: spec.name } });
    try {
      await fill(docker, spec.image, name, v.files.map((f) => ({ path: f.path, mode: f.mode, content: Buffer.from(f.contentBase64, 'base64') })));
    } catch (err) {
      await ignoring([404, 409], () => docker.getVolume(name).remove());   // never leave a half-filled volume
      throw err;
    }
  }
}

async function fill(docker: Docker, image: string, volume: string, files: Array<{ path: string; mode: number; content: Buffer }>): Promise<void> {
  // The container's own image is present (just pulled); the loader never starts, so its
  // entrypoint need not exist. No managed label: the inventory never sees it.
  const loader = await docker.createContainer({
    Image: image, Entrypoint: ['/berth-files-loader'], Cmd: [], Labels: { [LOADER_LABEL]: 'true' },
    NetworkDisabled: true, HostConfig: { Mounts: [{ Type: 'volume', Source: volume, Target: LOADER_TARGET }], NetworkMode: 'none' },
  });
  try {
    await loader.putArchive(tarArchive(files), { path: LOADER_TARGET });
  } finally {
    await ignoring([404], () => loader.remove({ force: true }));
  }
}

/**
 * Is VOLUME a files volume of container NAME on this host? Checked on the labels themselves, not
 * trusted to the engine's label filter: Podman 4.3's Docker API returned this host's named data
 * volumes for the three-label filter below, and removing those would lose user data.
 */
export function isFilesVolumeOf(volume: { Labels?: Record<string, string> | null }, name: string, id: ManagedIdentity): boolean {
  const l = volume.Labels ?? {};
  return l[LABELS.managed] === 'true' && l[LABELS.host] === id.hostKey && l[LABELS.files] === name;
}

/** Remove the files volumes of container NAME except KEEP (in use ones are left for the next pass). */
export async function pruneFilesVolumes(docker: Docker, name: string, id: ManagedIdentity, keep: ReadonlySet<string> = new Set()): Promise<void> {
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${LABELS.managed}=true`, `${LABELS.host}=${id.hostKey}`, `${LABELS.files}=${name}`] } });
  for (const v of Volumes ?? []) {
    if (keep.has(v.Name) || !isFilesVolumeOf(v, name, id)) continue;
    await ignoring([404, 409], () => docker.getVolume(v.Name).remove());
  }
}
