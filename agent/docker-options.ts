// ContainerSpec → Docker Engine create options, and PullAuth → the engine's X-Registry-Auth body.
// Pure, so every field mapping is unit-tested without a daemon.
import type Docker from 'dockerode';
import { LABELS, type ContainerSpec, type PullAuth, type RestartPolicy } from '../protocol/container.js';
import { filesVolumeName } from './docker-files.js';
import { configOptions, hostConfigOptions } from './docker-run-options.js';

const NS_PER_SECOND = 1_000_000_000;

const RESTART: Record<RestartPolicy, string> = {
  Always: 'always',
  UnlessStopped: 'unless-stopped',
  OnFailure: 'on-failure',
  Never: 'no',
};

export interface ManagedIdentity {
  /** "<namespace>/<name>" of the ContainerHost. */
  hostKey: string;
  hostUid: string;
}

/** The labels that make a container Berth's: inventory, NameConflict and remove all key on them. */
export function managedLabels(spec: ContainerSpec, id: ManagedIdentity): Record<string, string> {
  return {
    [LABELS.managed]: 'true',
    [LABELS.host]: id.hostKey,
    [LABELS.hostUid]: id.hostUid,
    [LABELS.name]: spec.name,
    [LABELS.specHash]: spec.specHash,
  };
}

/** Labels on named volumes Berth creates: informational only — Berth never removes volumes. */
export function volumeLabels(id: ManagedIdentity): Record<string, string> {
  return { [LABELS.managed]: 'true', [LABELS.host]: id.hostKey };
}

/** Named volumes the spec mounts (each at most once). */
export function namedVolumes(spec: ContainerSpec): string[] {
  return [...new Set(spec.volumes.flatMap((v) => (v.volume !== undefined && v.hostPath === undefined ? [v.volume] : [])))];
}

export function toCreateOptions(spec: ContainerSpec, id: ManagedIdentity): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of spec.ports) {
    const key = `${p.containerPort}/${p.protocol.toLowerCase()}`;
    exposed[key] = {};
    // HostIp "" publishes on every address, as `-p 8080:80` does. A port without hostPort is only
    // exposed (documentation and inter-container use), like a Kubernetes containerPort.
    if (p.hostPort !== undefined) (bindings[key] ??= []).push({ HostIp: '', HostPort: String(p.hostPort) });
  }

  const binds: string[] = [];
  const mounts: Docker.MountSettings[] = [];
  for (const [index, v] of spec.volumes.entries()) {
    if (v.files !== undefined) {
      // Filled by ensureFilesVolumes before the container is created (docker-files.ts); always read-only.
      mounts.push({ Type: 'volume', Source: filesVolumeName(spec, index), Target: v.mountPath, ReadOnly: true });
    } else if (v.hostPath !== undefined) {
      // Binds (the `-v` syntax) create a missing host directory, which operators expect; a path with
      // ':' cannot be written in that syntax and goes through Mounts (which needs it to exist).
      if (v.hostPath.includes(':') || v.mountPath.includes(':')) mounts.push({ Type: 'bind', Source: v.hostPath, Target: v.mountPath, ReadOnly: v.readOnly });
      else binds.push(`${v.hostPath}:${v.mountPath}${v.readOnly ? ':ro' : ''}`);
    } else if (v.volume !== undefined) {
      mounts.push({ Type: 'volume', Source: v.volume, Target: v.mountPath, ReadOnly: v.readOnly });
    }
  }

  const hc = spec.healthcheck;
  const options: Docker.ContainerCreateOptions = {
    name: spec.name,
    Image: spec.image,
    // User labels first: Berth's own always win (berth.dev/* user labels are refused at validation).
    Labels: { ...(spec.labels ?? {}), ...managedLabels(spec, id) },
    Env: spec.env.map((e) => `${e.name}=${e.value}`),
    ExposedPorts: exposed,
    StopTimeout: spec.stopTimeoutSeconds,
    ...configOptions(spec),
    HostConfig: {
      PortBindings: bindings,
      Binds: binds,
      Mounts: mounts,
      RestartPolicy: { Name: RESTART[spec.restartPolicy], MaximumRetryCount: 0 },
      // With `networks`, the first is the primary network; the others are connected before start.
      NetworkMode: spec.networks?.length ? spec.networks[0]!.name : spec.network,
      Privileged: spec.privileged,
      LogConfig: { Type: 'json-file', Config: { 'max-size': String(spec.logging.maxSizeBytes), 'max-file': String(spec.logging.maxFiles) } },
      ...(spec.resources?.nanoCpus !== undefined ? { NanoCpus: spec.resources.nanoCpus } : {}),
      ...(spec.resources?.memoryBytes !== undefined ? { Memory: spec.resources.memoryBytes } : {}),
      ...hostConfigOptions(spec),
    },
  };
  const primary = spec.networks?.[0];
  if (primary) options.NetworkingConfig = { EndpointsConfig: { [primary.name]: { Aliases: primary.aliases ?? [] } } };
  // command replaces the image's ENTRYPOINT and args its CMD (Kubernetes semantics). When only
  // command is given the image's CMD is dropped too: the engine does that when Entrypoint is set.
  if (spec.command !== undefined) options.Entrypoint = spec.command;
  if (spec.args !== undefined) options.Cmd = spec.args;
  if (hc) {
    options.Healthcheck = {
      Test: ['CMD', ...hc.exec],
      Interval: hc.intervalSeconds * NS_PER_SECOND,
      Timeout: hc.timeoutSeconds * NS_PER_SECOND,
      StartPeriod: hc.startPeriodSeconds * NS_PER_SECOND,
      Retries: hc.retries,
    };
  }
  return options;
}

/**
 * The engine reads only username/password (or identitytoken) from X-Registry-Auth; the `auth` field
 * of a dockerconfigjson ("base64(user:pass)") is decoded here as the docker CLI does.
 */
export function toAuthConfig(auth: PullAuth): { serveraddress: string; username?: string; password?: string; identitytoken?: string } {
  const out: { serveraddress: string; username?: string; password?: string; identitytoken?: string } = { serveraddress: auth.serveraddress };
  let { username, password } = auth;
  if ((username === undefined || password === undefined) && auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) { username ??= decoded.slice(0, colon); password ??= decoded.slice(colon + 1); }
  }
  if (username !== undefined) out.username = username;
  if (password !== undefined) out.password = password;
  if (auth.identitytoken) out.identitytoken = auth.identitytoken;
  return out;
}
