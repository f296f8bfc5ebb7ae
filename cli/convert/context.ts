// What mapping one service needs to know about the whole project, and what it reports back:
// names of the project's networks, volumes, configs and secrets as they land on the host, the
// policy the converted containers need, and the warnings (one per field that could not be mapped
// as it was). Shared by the mapping modules; no logic of its own.
import type { Lookup } from './interpolate.js';

export type Json = Record<string, unknown>;

export interface Warning { where: string; message: string }

export interface PolicyNeeds {
  privileged: Set<string>;
  hostNetwork: Set<string>;
  hostPaths: Set<string>;
  capabilities: Set<string>;
  devices: Set<string>;
  sysctls: Set<string>;
  gpus: Set<string>;
}

export interface FileRef { key: string; source: string }

export interface ProjectContext {
  project: string;
  /** The project directory (absolute): relative paths in the files resolve against it. */
  dir: string;
  /** The interpolation environment (shell over .env), for `environment: [NAME]` without a value. */
  env: Lookup;
  /** Reads and parses an env_file (path already resolved). */
  readEnvFile: (path: string) => Map<string, string>;
  /** compose network name → Docker network name. */
  networks: Map<string, string>;
  /** compose volume name → Docker volume name. */
  volumes: Map<string, string>;
  /** compose config name → where its content lives (the project's ConfigMap, or an existing one). */
  configs: Map<string, { configMap: string; key: string }>;
  /** compose secret name → the Secret (never its value) and key that will hold it. */
  secrets: Map<string, { secret: string; key: string }>;
  /** compose service name → container name, for the services that convert. */
  containers: Map<string, string>;
  needs: PolicyNeeds;
  warn: (where: string, message: string) => void;
}

export const emptyNeeds = (): PolicyNeeds => ({
  privileged: new Set(), hostNetwork: new Set(), hostPaths: new Set(), capabilities: new Set(),
  devices: new Set(), sysctls: new Set(), gpus: new Set(),
});

export const isMap = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** A compose name as a DNS label (Berth container and resource names): lowercase, '_' and '.' to '-'. */
export function dnsLabel(name: string, max = 63): string {
  const s = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, max).replace(/-+$/, '');
  return s || 'x';
}

/** A key of a ConfigMap or Secret: letters, digits, '_', '-', '.'. */
export const dataKey = (name: string): string => name.replace(/[^-._a-zA-Z0-9]+/g, '_') || 'value';
