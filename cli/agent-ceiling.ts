// `berth agent`'s policy ceiling and host view from its flags and environment (the I/O around the
// pure agent/ceiling-config.ts): the policy file is read here, and whether this agent can see the
// host's filesystem is decided here.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { buildCeiling, CeilingError, type CeilingFlags } from '../agent/ceiling-config.js';
import type { AgentCeiling } from '../agent/ceiling.js';
import type { HostView } from '../agent/host-paths.js';
import { UsageError } from './usage.js';

export const HOST_ROOT_HELP = `  --host-root DIR      where the host's "/" is visible to this agent, for checking where host paths
                       really lead (an agent in a container: -v /:/host:ro and --host-root /host);
                       env BERTH_HOST_ROOT. Default: detected ("/" on the host; in a container,
                       where it bind-mounts the host's "/"); when it cannot be, ContainerHosts
                       that mount host paths are refused with a message saying so`;

export interface CeilingCliValues extends CeilingFlags { 'policy-file'?: string | undefined; 'host-root'?: string | undefined }

/** The ceiling, and the host view when --host-root gives one (undefined: the runtime detects it). */
export async function agentCeilingFromCli(values: CeilingCliValues, env: NodeJS.ProcessEnv): Promise<{ ceiling: AgentCeiling; hostView: HostView | undefined }> {
  const file = values['policy-file'] ?? env.BERTH_POLICY_FILE;
  let ceiling: AgentCeiling;
  try {
    let text: string | undefined;
    if (file) {
      try { text = readFileSync(file, 'utf8'); } catch (err) { throw new CeilingError(`cannot read the policy file ${file}: ${(err as Error).message}`); }
    }
    // Loaded only with a policy file: the YAML parser is most of that module (agent/ceiling-file.ts).
    const parsed = text === undefined ? undefined : (await import('../agent/ceiling-file.js')).parseCeilingFile(text, file!);
    ceiling = buildCeiling(values, env, parsed);
  } catch (err) {
    if (err instanceof CeilingError) throw new UsageError(err.message);
    throw err;
  }
  return { ceiling, hostView: hostViewFrom(values['host-root'] ?? env.BERTH_HOST_ROOT) };
}

function hostViewFrom(hostRoot: string | undefined): HostView | undefined {
  if (hostRoot !== undefined && hostRoot !== '') {
    if (!isAbsolute(hostRoot)) throw new UsageError(`--host-root must be an absolute path, not "${hostRoot}"`);
    let dir = false;
    try { dir = statSync(hostRoot).isDirectory(); } catch { /* reported below */ }
    if (!dir) throw new UsageError(`--host-root ${hostRoot} is not a directory this agent can read (mount the host's root there: -v /:${hostRoot}:ro)`);
    return { kind: 'root', root: hostRoot };
  }
  return undefined;
}
