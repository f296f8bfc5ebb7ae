// Issue 14's run options → Docker Engine create options. Pure; each option is set only when the
// spec declares it, so a container that uses none is created exactly as before.
import type Docker from 'dockerode';
import type { ContainerSpec } from '../protocol/container.js';

type Config = Pick<Docker.ContainerCreateOptions, 'User' | 'WorkingDir' | 'Hostname' | 'StopSignal'>;

/** Options of the container's Config (not HostConfig). */
export function configOptions(spec: ContainerSpec): Config {
  const out: Config = {};
  if (spec.user !== undefined) out.User = spec.user;
  if (spec.workingDir !== undefined) out.WorkingDir = spec.workingDir;
  if (spec.hostname !== undefined) out.Hostname = spec.hostname;
  if (spec.stopSignal !== undefined) out.StopSignal = spec.stopSignal;
  return out;
}

/** HostConfig options. Devices default to the host path and rwm, as `docker run --device` does. */
export function hostConfigOptions(spec: ContainerSpec): Docker.HostConfig {
  const out: Docker.HostConfig = {};
  if (spec.extraHosts) out.ExtraHosts = spec.extraHosts.map((h) => `${h.hostname}:${h.ip}`);
  if (spec.dns) out.Dns = spec.dns;
  if (spec.tmpfs) {
    out.Tmpfs = Object.fromEntries(spec.tmpfs.map((t) => [t.mountPath, [
      ...(t.sizeBytes !== undefined ? [`size=${t.sizeBytes}`] : []),
      ...(t.mode !== undefined ? [`mode=${t.mode.toString(8)}`] : []),
    ].join(',')]));
  }
  if (spec.shmSizeBytes !== undefined) out.ShmSize = spec.shmSizeBytes;
  if (spec.init !== undefined) out.Init = spec.init;
  if (spec.readOnlyRootFilesystem !== undefined) out.ReadonlyRootfs = spec.readOnlyRootFilesystem;
  if (spec.ulimits) out.Ulimits = spec.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  if (spec.capAdd) out.CapAdd = spec.capAdd;
  if (spec.capDrop) out.CapDrop = spec.capDrop;
  if (spec.devices) {
    out.Devices = spec.devices.map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath ?? d.hostPath, CgroupPermissions: d.permissions ?? 'rwm' }));
  }
  if (spec.sysctls) out.Sysctls = Object.fromEntries(spec.sysctls.map((s) => [s.name, s.value]));
  if (spec.deviceRequests) {
    // `--gpus all` is Count -1 with the gpu capability; deviceIDs pick devices instead of a count.
    out.DeviceRequests = spec.deviceRequests.map((r) => ({
      Driver: r.driver ?? '',
      Count: r.deviceIDs ? 0 : r.count ?? -1,
      DeviceIDs: r.deviceIDs ?? [],
      Capabilities: [r.capabilities ?? ['gpu']],
      Options: {},
    }));
  }
  return out;
}
