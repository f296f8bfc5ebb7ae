// The agent's ceiling from its three sources: flags, environment and a policy file (YAML or JSON,
// the same field names as a ContainerHost's spec.policy). Each source can only ADD permissions to the
// default deny-all, so the ceiling is their union; bad input is an error naming the flag, variable
// or file field. Pure: the caller reads the file, and parses it (agent/ceiling-file.ts: the YAML
// parser is loaded only by an agent that has a policy file).
import { NORMALIZED_ABSOLUTE_PATH } from '../protocol/policy.js';
import type { AgentCeiling } from './ceiling.js';

/** The parseArgs option table of the ceiling flags (merged into `berth agent`'s and `berth up`'s). */
export const CEILING_OPTIONS = {
  'allow-privileged': { type: 'boolean' },
  'allow-host-network': { type: 'boolean' },
  'allowed-host-paths': { type: 'string', multiple: true },
  'allow-capabilities': { type: 'string', multiple: true },
  'allow-devices': { type: 'string', multiple: true },
  'allow-sysctls': { type: 'string', multiple: true },
  'allow-gpus': { type: 'boolean' },
  'policy-file': { type: 'string' },
} as const;

export const CEILING_HELP = `Policy ceiling (what ANY ContainerHost may run on this machine; default: deny all of it).
A container runs only when both this ceiling and its ContainerHost's spec.policy allow it; otherwise it
is refused with a message in the host's status and a Warning Event, and nothing is created:
  --allow-privileged          privileged containers; env BERTH_ALLOW_PRIVILEGED=true
  --allow-host-network        network: host; env BERTH_ALLOW_HOST_NETWORK=true
  --allowed-host-paths LIST   bind mounts under these absolute paths (comma-separated, repeatable;
                              "/" allows every path); env BERTH_ALLOWED_HOST_PATHS
  --allow-capabilities LIST   capAdd entries ("ALL" allows every one); env BERTH_ALLOW_CAPABILITIES
  --allow-devices LIST        devices (paths, or "/dev/dir/*"); env BERTH_ALLOW_DEVICES
  --allow-sysctls LIST        sysctls (names, "prefix.*" or "*"); env BERTH_ALLOW_SYSCTLS
  --allow-gpus                GPU device requests; env BERTH_ALLOW_GPUS=true
  --policy-file FILE          the same as YAML/JSON with spec.policy's field names (allowPrivileged,
                              allowHostNetwork, allowedHostPaths, allowCapabilities, allowDevices,
                              allowSysctls, allowGPUs); env BERTH_POLICY_FILE
Flags, environment and file add up (the union).`;

export interface CeilingFlags {
  'allow-privileged'?: boolean | undefined;
  'allow-host-network'?: boolean | undefined;
  'allowed-host-paths'?: string[] | undefined;
  'allow-capabilities'?: string[] | undefined;
  'allow-devices'?: string[] | undefined;
  'allow-sysctls'?: string[] | undefined;
  'allow-gpus'?: boolean | undefined;
}

export class CeilingError extends Error { override readonly name = 'CeilingError'; }

export type Partial = { [K in keyof AgentCeiling]-?: NonNullable<AgentCeiling[K]> extends boolean ? boolean : string[] };

const LIST_FIELDS = ['allowedHostPaths', 'allowCapabilities', 'allowDevices', 'allowSysctls'] as const;
const BOOL_FIELDS = ['allowPrivileged', 'allowHostNetwork', 'allowGPUs'] as const;

const splitList = (xs: readonly string[] | undefined): string[] => (xs ?? []).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');

function envBool(env: NodeJS.ProcessEnv, name: string): boolean {
  const v = env[name];
  if (v === undefined || v === '' || v === 'false') return false;
  if (v === 'true') return true;
  throw new CeilingError(`${name} must be "true" or "false", not "${v.slice(0, 40)}"`);
}

/** The policy file's parsed document as ceiling fields; FILE names it in errors. */
export function ceilingFromDocument(parsed: unknown, file: string): Partial {
  let doc = parsed;
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new CeilingError(`policy file ${file}: must be a mapping of spec.policy fields`);
  const out = empty();
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if ((BOOL_FIELDS as readonly string[]).includes(k)) {
      if (typeof v !== 'boolean') throw new CeilingError(`policy file ${file}: ${k} must be true or false`);
      out[k as typeof BOOL_FIELDS[number]] = v;
    } else if ((LIST_FIELDS as readonly string[]).includes(k)) {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new CeilingError(`policy file ${file}: ${k} must be a list of strings`);
      out[k as typeof LIST_FIELDS[number]] = v as string[];
    } else {
      throw new CeilingError(`policy file ${file}: unknown field "${k.slice(0, 64)}" (known: ${[...BOOL_FIELDS, ...LIST_FIELDS].join(', ')})`);
    }
  }
  return out;
}

function empty(): Partial {
  return { allowPrivileged: false, allowHostNetwork: false, allowGPUs: false, allowedHostPaths: [], allowCapabilities: [], allowDevices: [], allowSysctls: [] };
}

/** The ceiling from FLAGS, ENV and the parsed policy FILE (if any): their union, validated. */
export function buildCeiling(flags: CeilingFlags, env: NodeJS.ProcessEnv, file?: Partial): AgentCeiling {
  const f = file ?? empty();
  const lists = {
    allowedHostPaths: [...splitList(flags['allowed-host-paths']), ...splitList(env.BERTH_ALLOWED_HOST_PATHS ? [env.BERTH_ALLOWED_HOST_PATHS] : []), ...f.allowedHostPaths],
    allowCapabilities: [...splitList(flags['allow-capabilities']), ...splitList(env.BERTH_ALLOW_CAPABILITIES ? [env.BERTH_ALLOW_CAPABILITIES] : []), ...f.allowCapabilities],
    allowDevices: [...splitList(flags['allow-devices']), ...splitList(env.BERTH_ALLOW_DEVICES ? [env.BERTH_ALLOW_DEVICES] : []), ...f.allowDevices],
    allowSysctls: [...splitList(flags['allow-sysctls']), ...splitList(env.BERTH_ALLOW_SYSCTLS ? [env.BERTH_ALLOW_SYSCTLS] : []), ...f.allowSysctls],
  };
  for (const p of lists.allowedHostPaths) {
    if (!NORMALIZED_ABSOLUTE_PATH.test(p)) throw new CeilingError(`allowed host path "${p.slice(0, 256)}" (--allowed-host-paths, BERTH_ALLOWED_HOST_PATHS or the policy file) is not an absolute, normalized path`);
  }
  for (const d of lists.allowDevices) {
    if (!d.startsWith('/dev/')) throw new CeilingError(`allowed device "${d.slice(0, 256)}" (--allow-devices) must be a path under /dev/`);
  }
  const uniq = (xs: string[]) => [...new Set(xs)];
  return {
    allowPrivileged: flags['allow-privileged'] === true || envBool(env, 'BERTH_ALLOW_PRIVILEGED') || f.allowPrivileged,
    allowHostNetwork: flags['allow-host-network'] === true || envBool(env, 'BERTH_ALLOW_HOST_NETWORK') || f.allowHostNetwork,
    allowedHostPaths: uniq(lists.allowedHostPaths),
    ...(lists.allowCapabilities.length ? { allowCapabilities: uniq(lists.allowCapabilities) } : {}),
    ...(lists.allowDevices.length ? { allowDevices: uniq(lists.allowDevices) } : {}),
    ...(lists.allowSysctls.length ? { allowSysctls: uniq(lists.allowSysctls) } : {}),
    ...(flags['allow-gpus'] === true || envBool(env, 'BERTH_ALLOW_GPUS') || f.allowGPUs ? { allowGPUs: true } : {}),
  };
}

/** Back to flags (how `berth up` hands its ceiling to the in-process agent). */
export function ceilingArgs(c: AgentCeiling): string[] {
  return [
    ...(c.allowPrivileged ? ['--allow-privileged'] : []),
    ...(c.allowHostNetwork ? ['--allow-host-network'] : []),
    ...(c.allowGPUs ? ['--allow-gpus'] : []),
    ...c.allowedHostPaths.flatMap((p) => ['--allowed-host-paths', p]),
    ...(c.allowCapabilities ?? []).flatMap((p) => ['--allow-capabilities', p]),
    ...(c.allowDevices ?? []).flatMap((p) => ['--allow-devices', p]),
    ...(c.allowSysctls ?? []).flatMap((p) => ['--allow-sysctls', p]),
  ];
}
