// `berth agent`'s policy ceiling and host view from its flags and environment (the I/O around the
// pure agent/ceiling-config.ts): the policy file is read here, and whether this agent can see the
// host's filesystem is decided here.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { buildCeiling, CeilingError, parseCeilingFile, type CeilingFlags } from '../agent/ceiling-config.js';
import type { AgentCeiling } from '../agent/ceiling.js';
import { ON_HOST, type HostView } from '../agent/host-paths.js';
import { UsageError } from './usage.js';

export const HOST_ROOT_HELP = `  --host-root DIR      where the host's "/" is visible to this agent, for checking where host paths
                       really lead (an agent in a container: -v /:/host:ro and --host-root /host);
                       env BERTH_HOST_ROOT. Default "/" on the host; in a container without it,
                       ContainerHosts that mount host paths are refused`;

export interface CeilingCliValues extends CeilingFlags { 'policy-file'?: string | undefined; 'host-root'?: string | undefined }

/** Marker files container runtimes leave in a container's root (Docker, Podman). */
const CONTAINER_MARKERS = ['/.dockerenv', '/run/.containerenv'];

export function agentCeilingFromCli(values: CeilingCliValues, env: NodeJS.ProcessEnv, markers = CONTAINER_MARKERS): { ceiling: AgentCeiling; hostView: HostView } {
  const file = values['policy-file'] ?? env.BERTH_POLICY_FILE;
  let ceiling: AgentCeiling;
  try {
    let text: string | undefined;
    if (file) {
      try { text = readFileSync(file, 'utf8'); } catch (err) { throw new CeilingError(`cannot read the policy file ${file}: ${(err as Error).message}`); }
    }
    ceiling = buildCeiling(values, env, text === undefined ? undefined : parseCeilingFile(text, file!));
  } catch (err) {
    if (err instanceof CeilingError) throw new UsageError(err.message);
    throw err;
  }
  return { ceiling, hostView: hostViewFrom(values['host-root'] ?? env.BERTH_HOST_ROOT, markers) };
}

function hostViewFrom(hostRoot: string | undefined, markers: readonly string[]): HostView {
  if (hostRoot !== undefined && hostRoot !== '') {
    if (!isAbsolute(hostRoot)) throw new UsageError(`--host-root must be an absolute path, not "${hostRoot}"`);
    let dir = false;
    try { dir = statSync(hostRoot).isDirectory(); } catch { /* reported below */ }
    if (!dir) throw new UsageError(`--host-root ${hostRoot} is not a directory this agent can read (mount the host's root there: -v /:${hostRoot}:ro)`);
    return { kind: 'root', root: hostRoot };
  }
  const marker = markers.find((m) => existsSync(m));
  return marker ? { kind: 'blind', reason: `this agent runs in a container (${marker}) without --host-root` } : ON_HOST;
}
