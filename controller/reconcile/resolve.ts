// Turning a declared container (as stored, defaults applied) into the fully resolved ContainerSpec
// an agent applies: pull policy derived, secret values filled in, quantities converted, and the
// spec hash that decides between "converge the run state" and "recreate". Pure: secrets come in
// through a lookup function.
import { createHash, createHmac } from 'node:crypto';
import type { ContainerSpec, PullAuth, PullPolicy } from '../../protocol/container.js';
import { intOrQuantity } from '../api/quantity.js';
import type { ContainerDecl, ContainerHost } from '../api/types.js';
import { canonicalJson } from '../lib/canonical-json.js';
import { isFailure, resolveEnvFrom, resolveVolume, runOptions, type ConfigMapLookup, type SecretLookup } from './resolve-extras.js';

export type { ConfigMapLookup, SecretLookup } from './resolve-extras.js';
/**
 * legacySpecHash: with a hash key, the unkeyed hash earlier releases computed for the same spec,
 * when it differs (the spec has secret or file inputs) — a container carrying it is the same spec
 * and is not recreated (legacy-hashes.ts).
 */
export type Resolved = { ok: true; spec: ContainerSpec; legacySpecHash?: string } | { ok: false; reason: string; message: string };

const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** Kubernetes' rule: Always for ":latest" or no tag (unless pinned by digest), IfNotPresent otherwise. */
export function effectivePullPolicy(image: string, declared?: PullPolicy): PullPolicy {
  if (declared) return declared;
  if (image.includes('@')) return 'IfNotPresent';
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  const tag = colon === -1 ? undefined : lastSegment.slice(colon + 1);
  return tag === undefined || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * The spec hash. Run state (`state`) and `imagePullPolicy` are left out: stopping a container or
 * changing when it pulls must not recreate it. Secret-sourced env values and file contents enter
 * only as a digest, so the hash changes when a secret changes but never carries the value. With
 * `key` (the controller's spec-hash key, spec-hash-key.ts) that digest is an HMAC: the hash is
 * published in status, and a plain SHA-256 there let anyone who may read status test guesses of a
 * Secret offline. Without a key: the unkeyed hash of earlier releases (test/api/spec-hashes.test.ts
 * pins it). A spec with neither secret env nor files hashes the same either way.
 */
export function specHash(spec: Omit<ContainerSpec, 'specHash'>, secretEnv: ReadonlySet<string>, key?: Buffer): string {
  const { state: _state, imagePullPolicy: _pull, ...identity } = spec;
  const digest = (v: string | Buffer) => (key ? createHmac('sha256', key).update(v).digest('hex') : sha256(v));
  const env = identity.env.map((e) => (!secretEnv.has(e.name) ? e
    : key ? { name: e.name, valueHmac: digest(e.value) } : { name: e.name, valueSha256: digest(e.value) }));
  // File content enters as its digest (Secret files must never be in a hash in the clear); only
  // `files` volumes carry it, so other mounts hash as they always did.
  const volumes = identity.volumes.map((v) => (v.files
    ? { ...v, files: v.files.map((f) => {
      const content = digest(Buffer.from(f.contentBase64, 'base64'));
      return key ? { path: f.path, mode: f.mode, contentHmac: content } : { path: f.path, mode: f.mode, contentSha256: content };
    }) } : v));
  return sha256(canonicalJson({ ...identity, env, volumes })).slice(0, 32);
}

const noConfigMaps: ConfigMapLookup = () => undefined;

export function resolveContainer(decl: ContainerDecl, namespace: string, secrets: SecretLookup, configMaps: ConfigMapLookup = noConfigMaps, hashKey?: Buffer): Resolved {
  const env: ContainerSpec['env'] = [];
  const secretEnv = new Set<string>();
  // envFrom first, env after (Kubernetes' order: an env entry wins over the same name from envFrom).
  const fromSources = resolveEnvFrom(decl, namespace, secrets, configMaps);
  if (isFailure(fromSources)) return { ok: false, ...fromSources };
  const explicit = new Set((decl.env ?? []).map((e) => e.name));
  for (const e of fromSources.env) if (!explicit.has(e.name)) env.push(e);
  for (const name of fromSources.secretNames) if (!explicit.has(name)) secretEnv.add(name);
  const volumes: ContainerSpec['volumes'] = [];
  for (const v of decl.volumes ?? []) {
    const resolved = resolveVolume(v, namespace, secrets, configMaps);
    if (isFailure(resolved)) return { ok: false, ...resolved };
    volumes.push(resolved);
  }
  for (const e of decl.env ?? []) {
    if (e.valueFrom) {
      const ref = e.valueFrom.secretKeyRef;
      const secret = secrets(namespace, ref.name);
      const value = secret?.data[ref.key];
      if (value === undefined && !ref.optional) {
        return { ok: false, reason: 'SecretNotFound', message: secret
          ? `env ${e.name}: key "${ref.key}" not found in Secret ${namespace}/${ref.name}`
          : `env ${e.name}: Secret ${namespace}/${ref.name} not found` };
      }
      env.push({ name: e.name, value: value?.toString('utf8') ?? '' });
      secretEnv.add(e.name);
    } else {
      env.push({ name: e.name, value: e.value ?? '' });
    }
  }
  const cpus = decl.resources?.cpus === undefined ? undefined : intOrQuantity(decl.resources.cpus);
  const memory = decl.resources?.memory === undefined ? undefined : intOrQuantity(decl.resources.memory);
  const resources = cpus === undefined && memory === undefined ? undefined : {
    ...(cpus !== undefined ? { nanoCpus: Math.round(cpus * 1e9) } : {}),
    ...(memory !== undefined ? { memoryBytes: Math.round(memory) } : {}),
  };
  const base: Omit<ContainerSpec, 'specHash'> = {
    name: decl.name,
    image: decl.image,
    imagePullPolicy: effectivePullPolicy(decl.image, decl.imagePullPolicy),
    state: decl.state,
    ...(decl.command ? { command: decl.command } : {}),
    ...(decl.args ? { args: decl.args } : {}),
    env,
    ports: (decl.ports ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, ...(p.hostPort ? { hostPort: p.hostPort } : {}) })),
    volumes,
    restartPolicy: decl.restartPolicy,
    ...(decl.healthcheck ? { healthcheck: decl.healthcheck } : {}),
    ...(resources ? { resources } : {}),
    network: decl.network,
    privileged: decl.privileged,
    stopTimeoutSeconds: decl.stopTimeoutSeconds,
    logging: { maxSizeBytes: Math.round(intOrQuantity(decl.logging.maxSize) ?? 10 * 2 ** 20), maxFiles: decl.logging.maxFiles },
    ...runOptions(decl),
  };
  const hash = specHash(base, secretEnv, hashKey);
  const legacy = hashKey ? specHash(base, secretEnv) : hash;
  return { ok: true, spec: { ...base, specHash: hash }, ...(legacy !== hash ? { legacySpecHash: legacy } : {}) };
}

/** The registry part of an image reference ("docker.io" when it names none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0]!;
  const hasRegistry = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasRegistry ? first : 'docker.io';
}

/**
 * Credentials for pulling `image`, from the host's imagePullSecrets (kubernetes.io/dockerconfigjson,
 * first match wins, as the kubelet does). Missing or unreadable Secrets are skipped: the pull then
 * fails with the registry's own message, which is what the user needs to see.
 */
export function pullAuthFor(host: ContainerHost, image: string, secrets: SecretLookup): PullAuth | undefined {
  return pullAuthFrom(host.metadata.namespace, host.spec.imagePullSecrets, image, secrets);
}

/** The same lookup over any owner's imagePullSecrets (a ContainerSet's, for resolving digests). */
export function pullAuthFrom(namespace: string, refs: ReadonlyArray<{ name: string }> | undefined, image: string, secrets: SecretLookup): PullAuth | undefined {
  const registry = registryOf(image);
  const aliases = registry === 'docker.io' ? ['docker.io', 'index.docker.io', 'https://index.docker.io/v1/', 'registry-1.docker.io'] : [registry, `https://${registry}`, `http://${registry}`];
  for (const ref of refs ?? []) {
    const raw = secrets(namespace, ref.name)?.data['.dockerconfigjson'];
    if (!raw) continue;
    let config: { auths?: Record<string, { username?: string; password?: string; auth?: string; identitytoken?: string }> };
    try { config = JSON.parse(raw.toString('utf8')); } catch { continue; }
    for (const [server, entry] of Object.entries(config.auths ?? {})) {
      const bare = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
      if (!aliases.includes(server) && !aliases.includes(bare)) continue;
      let { username, password } = entry;
      if ((!username || !password) && entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i > 0) { username = decoded.slice(0, i); password = decoded.slice(i + 1); }
      }
      const serveraddress = registry === 'docker.io' ? 'https://index.docker.io/v1/' : bare;
      return { serveraddress, ...(username ? { username } : {}), ...(password ? { password } : {}), ...(entry.identitytoken ? { identitytoken: entry.identitytoken } : {}) };
    }
  }
  return undefined;
}
