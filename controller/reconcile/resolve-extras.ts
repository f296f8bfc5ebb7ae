// The parts of resolving a container that issue 14 added: envFrom, `files` volumes and the run
// options. Each returns only what the declaration sets, so a container that uses none of them
// resolves — and hashes — exactly as before (test/api/spec-hashes.test.ts).
import type { ContainerSpec, FileItem, VolumeMount } from '../../protocol/container.js';
import { intOrQuantity } from '../api/quantity.js';
import type { ConfigMapData, ContainerDecl, SecretData } from '../api/types.js';

export type SecretLookup = (namespace: string, name: string) => SecretData | undefined;
export type ConfigMapLookup = (namespace: string, name: string) => ConfigMapData | undefined;
export type Failure = { reason: string; message: string };

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const DEFAULT_FILE_MODE = 0o644;

/** envFrom → variables (in declaration order; env entries come after and win), and which came from Secrets. */
export function resolveEnvFrom(decl: ContainerDecl, namespace: string, secrets: SecretLookup, configMaps: ConfigMapLookup):
  { env: Array<{ name: string; value: string }>; secretNames: string[] } | Failure {
  const env = new Map<string, { value: string; secret: boolean }>();
  for (const source of decl.envFrom ?? []) {
    const ref = source.secretRef ?? source.configMapRef!;
    const isSecret = source.secretRef !== undefined;
    const found = isSecret ? secrets(namespace, ref.name) : configMaps(namespace, ref.name);
    if (!found) {
      if (ref.optional) continue;
      return isSecret ? { reason: 'SecretNotFound', message: `envFrom: Secret ${namespace}/${ref.name} not found` }
        : { reason: 'ConfigMapNotFound', message: `envFrom: ConfigMap ${namespace}/${ref.name} not found` };
    }
    for (const key of Object.keys(found.data).sort()) {
      const name = `${source.prefix ?? ''}${key}`;
      if (ENV_NAME.test(name)) env.set(name, { value: found.data[key]!.toString('utf8'), secret: isSecret });
    }
  }
  return {
    env: [...env].map(([name, e]) => ({ name, value: e.value })),
    secretNames: [...env].filter(([, e]) => e.secret).map(([name]) => name),
  };
}

/** One declared mount → the resolved one; a `files` source gets its items' content. */
export function resolveVolume(v: NonNullable<ContainerDecl['volumes']>[number], namespace: string, secrets: SecretLookup, configMaps: ConfigMapLookup): VolumeMount | Failure {
  if (!v.files) return { mountPath: v.mountPath, readOnly: v.readOnly, ...(v.hostPath ? { hostPath: v.hostPath } : { volume: v.volume! }) };
  const isSecret = v.files.secret !== undefined;
  const name = (v.files.secret ?? v.files.configMap)!;
  const what = `${isSecret ? 'Secret' : 'ConfigMap'} ${namespace}/${name}`;
  const found = isSecret ? secrets(namespace, name) : configMaps(namespace, name);
  if (!found) return { reason: isSecret ? 'SecretNotFound' : 'ConfigMapNotFound', message: `volume ${v.mountPath}: ${what} not found` };
  const items = v.files.items ?? Object.keys(found.data).sort().map((key) => ({ key, path: key }));
  const files: FileItem[] = [];
  for (const item of items) {
    const content = found.data[item.key];
    if (content === undefined) return { reason: isSecret ? 'SecretNotFound' : 'ConfigMapNotFound', message: `volume ${v.mountPath}: key "${item.key}" not found in ${what}` };
    files.push({ path: item.path, mode: (item as { mode?: number }).mode ?? DEFAULT_FILE_MODE, contentBase64: content.toString('base64') });
  }
  // Always read-only: the content is Berth's, a write would be lost on the next recreate.
  return { mountPath: v.mountPath, readOnly: true, files };
}

/** The run options, copied or converted, each only when declared. */
export function runOptions(decl: ContainerDecl): Partial<ContainerSpec> {
  const out: Partial<ContainerSpec> = {};
  const copy = <K extends keyof ContainerDecl & keyof ContainerSpec>(k: K) => { if (decl[k] !== undefined) (out as Record<string, unknown>)[k] = structuredClone(decl[k]); };
  (['networks', 'user', 'workingDir', 'hostname', 'labels', 'extraHosts', 'dns', 'init', 'readOnlyRootFilesystem', 'ulimits',
    'stopSignal', 'capAdd', 'capDrop', 'devices', 'sysctls', 'deviceRequests'] as const).forEach(copy);
  if (decl.tmpfs !== undefined) {
    out.tmpfs = decl.tmpfs.map((t) => {
      const size = t.size === undefined ? undefined : intOrQuantity(t.size);
      return { mountPath: t.mountPath, ...(size !== undefined ? { sizeBytes: Math.round(size) } : {}), ...(t.mode !== undefined ? { mode: t.mode } : {}) };
    });
  }
  if (decl.shmSize !== undefined) {
    const size = intOrQuantity(decl.shmSize);
    if (size !== undefined) out.shmSizeBytes = Math.round(size);
  }
  return out;
}

export const isFailure = <T extends object>(r: T | Failure): r is Failure => 'reason' in r && 'message' in r;
