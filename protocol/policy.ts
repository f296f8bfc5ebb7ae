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

/** Whether hostPath lies at or below one of the allowed roots ("/" allows everything). */
export function underAllowedRoot(hostPath: string, roots: readonly string[]): boolean {
  return roots.some((r) => r === '/' || hostPath === r || hostPath.startsWith(`${r}/`));
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
  return out;
}
