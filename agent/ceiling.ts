// The agent's own policy ceiling: what the machine's owner lets ANY ContainerHost run here, set on the
// agent (flags, env, a file) and never by the controller. The controller's `policy` (the
// ContainerHost's spec.policy) can only narrow it: a container runs only when both allow it, so
// whoever edits ContainerHosts is no longer root on the machine by writing `allowPrivileged: true`.
// Pure: the flags/env/file parsing is in ceiling-config.ts, the host-path resolution in host-paths.ts.
import type { ContainerSpec, HostPolicy } from '../protocol/container.js';
import { capabilityAllowed, deviceAllowed, NORMALIZED_ABSOLUTE_PATH, sysctlAllowed, underAllowedRoot } from '../protocol/policy.js';

/** Same shape as the host policy; each field is what this machine allows at most. */
export type AgentCeiling = HostPolicy;

/** The default: nothing beyond an ordinary bridge-networked container with volumes. */
export const DENY_ALL: AgentCeiling = Object.freeze({ allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }) as AgentCeiling;

const who = (c: ContainerSpec) => `container "${c.name}"`;

/**
 * Every way CONTAINER exceeds this agent's CEILING, as sentences naming the agent flag that would
 * allow it (the owner's knob, not the ContainerHost's); empty when it fits. The host policy is checked
 * separately (protocol/policy.ts): the effective policy is the intersection of both.
 */
export function ceilingViolations(c: ContainerSpec, ceiling: AgentCeiling): string[] {
  const out: string[] = [];
  if (c.privileged && !ceiling.allowPrivileged) out.push(`${who(c)} is privileged but this agent's ceiling does not allow privileged containers (agent flag --allow-privileged)`);
  if (c.network === 'host' && !ceiling.allowHostNetwork) out.push(`${who(c)} uses the host network but this agent's ceiling does not allow it (agent flag --allow-host-network)`);
  for (const v of c.volumes) {
    if (v.hostPath === undefined || !NORMALIZED_ABSOLUTE_PATH.test(v.hostPath)) continue;   // the host policy check names bad paths
    if (!underAllowedRoot(v.hostPath, ceiling.allowedHostPaths)) {
      out.push(`${who(c)}: hostPath "${v.hostPath}" is not under a host path this agent allows (agent flag --allowed-host-paths; allowed: ${list(ceiling.allowedHostPaths)})`);
    }
  }
  for (const cap of c.capAdd ?? []) {
    if (!capabilityAllowed(cap, ceiling.allowCapabilities)) out.push(`${who(c)}: capAdd ${cap} is not allowed by this agent's ceiling (agent flag --allow-capabilities)`);
  }
  for (const d of c.devices ?? []) {
    if (!deviceAllowed(d.hostPath, ceiling.allowDevices)) out.push(`${who(c)}: device ${d.hostPath} is not allowed by this agent's ceiling (agent flag --allow-devices)`);
  }
  for (const s of c.sysctls ?? []) {
    if (!sysctlAllowed(s.name, ceiling.allowSysctls)) out.push(`${who(c)}: sysctl ${s.name} is not allowed by this agent's ceiling (agent flag --allow-sysctls)`);
  }
  if ((c.deviceRequests ?? []).length > 0 && ceiling.allowGPUs !== true) out.push(`${who(c)} requests GPUs (deviceRequests) but this agent's ceiling does not allow them (agent flag --allow-gpus)`);
  return out;
}

const list = (xs: readonly string[] | undefined) => (xs?.length ? xs.join(', ') : 'none');

/** One line for the agent's start-up log and `--help` examples: what this machine allows. */
export function describeCeiling(c: AgentCeiling): Record<string, unknown> {
  return {
    allowPrivileged: c.allowPrivileged, allowHostNetwork: c.allowHostNetwork, allowedHostPaths: c.allowedHostPaths,
    ...(c.allowCapabilities?.length ? { allowCapabilities: c.allowCapabilities } : {}),
    ...(c.allowDevices?.length ? { allowDevices: c.allowDevices } : {}),
    ...(c.allowSysctls?.length ? { allowSysctls: c.allowSysctls } : {}),
    ...(c.allowGPUs ? { allowGPUs: true } : {}),
  };
}
