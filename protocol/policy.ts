// The host policy as a pure check of one resolved container. The CRD's CEL rules (and their
// TypeScript twins in controller/api/rules.ts) refuse violating manifests at admission; the agent runs
// this check again before it touches Docker, because the agent is the last line of defence on its
// machine: it must not rely on every controller version, store and admission path being right.
// It lives in protocol/ so the agent does not import controller/ (see DESIGN §2).
import type { ContainerSpec, HostPolicy } from './container.js';

/** Absolute, normalized path: the same regex the CRD hands to CEL's matches(). */
export const NORMALIZED_ABSOLUTE_PATH = /^\/$|^(\/([^/.][^/]*|[.][^/.][^/]*|[.][.][^/]+))+$/;

/** The CRD's pattern for `network`: bridge, host, none or a Docker network name (no `container:<id>`). */
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The CRD's pattern for a file's path inside a `files` volume. */
export const RELATIVE_FILE_PATH = /^([^/.][^/]*|[.][^/.][^/]*)(\/([^/.][^/]*|[.][^/.][^/]*))*$/;

/** Whether hostPath lies at or below one of the allowed roots ("/" allows everything). */
export function underAllowedRoot(hostPath: string, roots: readonly string[]): boolean {
  return roots.some((r) => r === '/' || hostPath === r || hostPath.startsWith(`${r}/`));
}

/**
 * The policy as it crosses the wire: the first release's three fields always, the gated-option
 * fields only when they allow something, so an agent that predates them (its frame schema has no
 * such fields) keeps accepting the frames of every host that does not use them.
 */
export function wirePolicy(p: HostPolicy): HostPolicy {
  return {
    allowPrivileged: p.allowPrivileged, allowHostNetwork: p.allowHostNetwork, allowedHostPaths: p.allowedHostPaths,
    ...(p.allowCapabilities?.length ? { allowCapabilities: p.allowCapabilities } : {}),
    ...(p.allowDevices?.length ? { allowDevices: p.allowDevices } : {}),
    ...(p.allowSysctls?.length ? { allowSysctls: p.allowSysctls } : {}),
    ...(p.allowGPUs ? { allowGPUs: true } : {}),
  };
}

/** Whether capAdd entry CAP is allowed ("ALL" in the policy allows every one). */
export const capabilityAllowed = (cap: string, allowed: readonly string[] = []): boolean => allowed.some((a) => a === 'ALL' || a === cap);

/** Whether host device PATH is allowed: listed, or under a listed "<dir>/*". */
export const deviceAllowed = (path: string, allowed: readonly string[] = []): boolean =>
  allowed.some((a) => a === path || (a.endsWith('/*') && path.startsWith(a.slice(0, -1))));

/** Whether sysctl NAME is allowed: listed, under a listed "<prefix>.*", or "*". */
export const sysctlAllowed = (name: string, allowed: readonly string[] = []): boolean =>
  allowed.some((a) => a === '*' || a === name || (a.endsWith('.*') && name.startsWith(a.slice(0, -1))));

/** The gated run options (capAdd, devices, sysctls, deviceRequests) CONTAINER uses against POLICY. */
function gatedViolations(c: ContainerSpec, policy: HostPolicy): string[] {
  const out: string[] = [];
  const who = `container "${c.name}"`;
  for (const cap of c.capAdd ?? []) {
    if (!capabilityAllowed(cap, policy.allowCapabilities)) out.push(`${who}: capAdd ${cap} is not in the host policy's allowCapabilities`);
  }
  for (const d of c.devices ?? []) {
    if (!deviceAllowed(d.hostPath, policy.allowDevices)) out.push(`${who}: device ${d.hostPath} is not in the host policy's allowDevices`);
  }
  for (const s of c.sysctls ?? []) {
    if (!sysctlAllowed(s.name, policy.allowSysctls)) out.push(`${who}: sysctl ${s.name} is not allowed by the host policy's allowSysctls`);
  }
  if ((c.deviceRequests ?? []).length > 0 && policy.allowGPUs !== true) out.push(`${who} requests GPUs (deviceRequests) but the host policy does not allow them (policy.allowGPUs)`);
  return out;
}

/**
 * Every way CONTAINER breaks POLICY, as sentences naming the field; empty when it is allowed.
 * A hostPath must also be absolute and normalized: the prefix check above is only sound then
 * (`/srv/../etc` starts with `/srv/`).
 */
export function policyViolations(container: ContainerSpec, policy: HostPolicy): string[] {
  const out: string[] = [];
  if (container.privileged && !policy.allowPrivileged) {
    out.push(`container "${container.name}" is privileged but the host policy does not allow privileged containers (policy.allowPrivileged)`);
  }
  if (container.network === 'host' && !policy.allowHostNetwork) {
    out.push(`container "${container.name}" uses the host network but the host policy does not allow it (policy.allowHostNetwork)`);
  }
  if (!NETWORK_NAME.test(container.network)) {
    out.push(`container "${container.name}": network "${container.network}" is not bridge, host, none or a Docker network name`);
  }
  for (const v of container.volumes) {
    if (v.hostPath === undefined) continue;
    const roots = policy.allowedHostPaths;
    if (!NORMALIZED_ABSOLUTE_PATH.test(v.hostPath)) {
      out.push(`container "${container.name}": hostPath "${v.hostPath}" is not an absolute, normalized path`);
    } else if (!underAllowedRoot(v.hostPath, roots)) {
      out.push(`container "${container.name}": hostPath "${v.hostPath}" is not under an allowed host path (allowed: ${roots.length ? roots.join(', ') : 'none'})`);
    }
  }
  for (const v of container.volumes) {
    // The archive API resolves paths inside the volume, but the agent does not rely on it.
    for (const f of v.files ?? []) {
      if (!RELATIVE_FILE_PATH.test(f.path)) out.push(`container "${container.name}": file "${f.path}" of volume ${v.mountPath} is not a relative path without '.' or '..' segments`);
    }
  }
  for (const n of container.networks ?? []) {
    if (!NETWORK_NAME.test(n.name) || n.name === 'host' || n.name === 'none') out.push(`container "${container.name}": networks entry "${n.name}" is not a Docker network a container can join next to others`);
  }
  out.push(...gatedViolations(container, policy));
  return out;
}
