// A whole (merged, interpolated, validated) compose project → one ContainerHost and, for its
// configs, one ConfigMap. Secrets are never read: the host refers to one Secret the user creates,
// and a warning says how. The policy the containers need is set explicitly, each grant in a warning.
import { resolve } from 'node:path';
import { mapService, type Container } from './map-service.js';
import { dataKey, dnsLabel, emptyNeeds, isMap, type Json, type PolicyNeeds, type ProjectContext } from './context.js';
import type { Lookup } from './interpolate.js';

export interface ProjectInput {
  project: string;
  dir: string;
  compose: Json;
  host: string;
  namespace?: string;
  env: Lookup;
  readText: (path: string) => string;
  readEnvFile: (path: string) => Map<string, string>;
  warn: (where: string, message: string) => void;
}

export interface ProjectOutput { host: Json; configMap?: Json; secret?: { name: string; keys: Array<{ key: string; from: string }> }; containers: number }

const entries = (v: unknown): Array<[string, Json]> => (isMap(v) ? Object.entries(v).map(([k, x]) => [k, isMap(x) ? x : {}]) : []);

export function mapProject(input: ProjectInput): ProjectOutput {
  const { compose, project, warn } = input;
  const meta = (name: string): Json => ({ name, ...(input.namespace ? { namespace: input.namespace } : {}) });
  const ctx: ProjectContext = {
    project, dir: input.dir, env: input.env, readEnvFile: input.readEnvFile, warn, needs: emptyNeeds(),
    networks: new Map(), volumes: new Map(), configs: new Map(), secrets: new Map(), containers: new Map(),
  };
  const services = isMap(compose.services) ? compose.services : {};

  // Networks: compose names them <project>_<name> unless they say `name:`; external ones exist already.
  const networks: Json[] = [];
  const declared = entries(compose.networks);
  if (!declared.some(([n]) => n === 'default')) declared.push(['default', {}]);
  for (const [name, n] of declared) {
    const docker = String(n.name ?? `${project}_${name}`);
    ctx.networks.set(name, docker);
    if (n.external === true || isMap(n.external)) continue;
    const where = `networks.${name}`;
    const net: Json = { name: docker, driver: 'bridge' };
    if (n.driver !== undefined && n.driver !== 'bridge') warn(where, `driver "${String(n.driver)}" is not supported by Berth; created as a bridge network`);
    if (n.internal === true) net.internal = true;
    if (n.enable_ipv6 === true) net.ipv6 = true;
    const ipam = isMap(n.ipam) && Array.isArray(n.ipam.config) ? n.ipam.config.filter(isMap) : [];
    if (ipam[0]?.subnet !== undefined) net.subnet = String(ipam[0].subnet);
    if (ipam.length > 1 || ipam.some((c) => Object.keys(c).some((k) => k !== 'subnet'))) warn(`${where}.ipam`, 'only the first subnet is mapped; gateways, ranges and further subnets are ignored');
    if (isMap(n.labels)) net.labels = Object.fromEntries(Object.entries(n.labels).map(([k, v]) => [k, String(v)]));
    for (const k of Object.keys(n)) if (!['name', 'driver', 'internal', 'enable_ipv6', 'ipam', 'labels', 'external', 'attachable'].includes(k) && !k.startsWith('x-')) warn(`${where}.${k}`, 'not supported by Berth; ignored');
    networks.push(net);
  }

  for (const [name, v] of entries(compose.volumes)) {
    ctx.volumes.set(name, String(v.name ?? (v.external ? name : `${project}_${name}`)));
    if (v.driver !== undefined && v.driver !== 'local') warn(`volumes.${name}.driver`, `"${String(v.driver)}": Berth creates local volumes; the driver is ignored`);
    if (v.driver_opts !== undefined) warn(`volumes.${name}.driver_opts`, 'not supported by Berth; ignored');
  }

  // Configs: one ConfigMap for the project, one key per config (file or inline content).
  const configData: Record<string, string> = {};
  const configMapName = dnsLabel(`${project}-config`, 253);
  for (const [name, cfg] of entries(compose.configs)) {
    const key = dataKey(name);
    const where = `configs.${name}`;
    if (cfg.external === true || isMap(cfg.external)) {
      const existing = dnsLabel(String(cfg.name ?? name), 253);
      ctx.configs.set(name, { configMap: existing, key });
      warn(where, `external: expects a ConfigMap "${existing}" with the key "${key}" in the host's namespace`);
    } else if (typeof cfg.content === 'string') { configData[key] = cfg.content; ctx.configs.set(name, { configMap: configMapName, key }); } else if (typeof cfg.file === 'string') {
      try { configData[key] = input.readText(resolve(input.dir, cfg.file)); ctx.configs.set(name, { configMap: configMapName, key }); } catch (err) { warn(`${where}.file`, `cannot read ${cfg.file}: ${(err as Error).message}; not mapped`); }
    } else if (typeof cfg.environment === 'string') {
      const value = input.env(cfg.environment);
      if (value === undefined) warn(`${where}.environment`, `${cfg.environment} is unset; not mapped`);
      else { configData[key] = value; ctx.configs.set(name, { configMap: configMapName, key }); }
    } else warn(where, 'has no file, content or environment; not mapped');
  }

  // Secrets: referenced, never read. One Secret for the project, one key per secret.
  const secretName = dnsLabel(`${project}-secrets`, 253);
  const secretKeys: Array<{ key: string; from: string }> = [];
  for (const [name, s] of entries(compose.secrets)) {
    const key = dataKey(name);
    if (s.external === true || isMap(s.external)) {
      const existing = dnsLabel(String(s.name ?? name), 253);
      ctx.secrets.set(name, { secret: existing, key });
      warn(`secrets.${name}`, `external: expects a Secret "${existing}" with the key "${key}" in the host's namespace`);
      continue;
    }
    ctx.secrets.set(name, { secret: secretName, key });
    secretKeys.push({ key, from: typeof s.file === 'string' ? `file ${resolve(input.dir, s.file)}` : typeof s.environment === 'string' ? `environment variable ${s.environment}` : 'its value' });
  }

  // Container names first: depends_on needs to know which services convert. Docker container names
  // are global on a host, so they carry the project as compose's do (<project>-<service>, without
  // compose's replica suffix); the service name stays resolvable as a network alias.
  const used = new Set<string>();
  for (const [name, svc] of Object.entries(services)) {
    if (!isMap(svc) || typeof svc.image !== 'string' || svc.image === '') continue;
    let c = dnsLabel(`${project}-${name}`);
    for (let i = 2; used.has(c); i++) c = `${dnsLabel(`${project}-${name}`, 60)}-${i}`;
    used.add(c);
    ctx.containers.set(name, c);
  }
  const containers: Container[] = [];
  for (const [name, svc] of Object.entries(services)) {
    const c = mapService(name, isMap(svc) ? svc : {}, ctx);
    if (c) containers.push(c);
  }
  if (containers.length > 50) warn('services', `a ContainerHost runs at most 50 containers; ${containers.slice(50).map((c) => c.name).join(', ')} not converted`);

  // Only the networks some converted container joins.
  const joined = new Set(containers.flatMap((c) => (Array.isArray(c.networks) ? c.networks.map((n) => String((n as Json).name)) : [])));
  const spec: Json = { policy: policyFor(ctx.needs, warn) };
  const usedNetworks = networks.filter((n) => joined.has(String(n.name)));
  if (usedNetworks.length) spec.networks = usedNetworks;
  spec.containers = containers.slice(0, 50);

  const host: Json = { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: meta(input.host), spec };
  const configMap = Object.keys(configData).length ? { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(configMapName), data: configData } : undefined;
  return { host, ...(configMap ? { configMap } : {}), ...(secretKeys.length ? { secret: { name: secretName, keys: secretKeys } } : {}), containers: containers.length };
}

/** Whether a container of HOST mounts files from the ConfigMap or Secret NAME (decided after fitting to the CRD). */
export function mountsFiles(host: Json, kind: 'configMap' | 'secret', name: string): boolean {
  const containers = ((host.spec as Json).containers ?? []) as Json[];
  return containers.some((c) => ((c.volumes ?? []) as Json[]).some((v) => isMap(v.files) && v.files[kind] === name));
}

/** How to create the Secret the host refers to: its keys and where compose took each value from. */
export function secretAdvice(secret: NonNullable<ProjectOutput['secret']>): string {
  const fromFiles = secret.keys.map((k) => (k.from.startsWith('file ') ? ` --from-file=${k.key}=${k.from.slice(5)}`
    : k.from.startsWith('environment variable ') ? ` --from-literal=${k.key}="$${k.from.slice('environment variable '.length)}"` : ` --from-literal=${k.key}=...`)).join('');
  return `the containers read the Secret "${secret.name}" (not written here: Berth never copies secret values into manifests). `
    + `Create it with the keys ${secret.keys.map((k) => `${k.key} (from ${k.from})`).join(', ')}; `
    + `e.g. kubectl create secret generic ${secret.name}${fromFiles}, or a v1 Secret manifest in the manifests directory`;
}

/** The policy the containers need, set explicitly; each grant is said in a warning. */
function policyFor(needs: PolicyNeeds, warn: (where: string, message: string) => void): Json {
  const policy: Json = {};
  const who = (s: Set<string>) => [...s].join(', ');
  if (needs.privileged.size) { policy.allowPrivileged = true; warn('policy', `allowPrivileged: true (privileged: ${who(needs.privileged)})`); }
  if (needs.hostNetwork.size) { policy.allowHostNetwork = true; warn('policy', `allowHostNetwork: true (network_mode: host: ${who(needs.hostNetwork)})`); }
  if (needs.hostPaths.size) {
    policy.allowedHostPaths = [...needs.hostPaths].sort();
    warn('policy', `allowedHostPaths: ${(policy.allowedHostPaths as string[]).join(', ')} (bind mounts)`);
  }
  if (needs.capabilities.size) { policy.allowCapabilities = [...needs.capabilities].sort(); warn('policy', `allowCapabilities: ${(policy.allowCapabilities as string[]).join(', ')} (cap_add)`); }
  if (needs.devices.size) { policy.allowDevices = [...needs.devices].sort(); warn('policy', `allowDevices: ${(policy.allowDevices as string[]).join(', ')} (devices)`); }
  if (needs.sysctls.size) { policy.allowSysctls = [...needs.sysctls].sort(); warn('policy', `allowSysctls: ${(policy.allowSysctls as string[]).join(', ')} (sysctls)`); }
  if (needs.gpus.size) { policy.allowGPUs = true; warn('policy', `allowGPUs: true (GPUs: ${who(needs.gpus)})`); }
  return policy;
}
