// One compose service → one Berth container declaration. Every field of the service is either
// mapped, mapped with a warning saying what differs, or named in a warning as not mapped: nothing
// is dropped silently. Fields that need the host's policy (privileged, host network, capabilities,
// devices, sysctls, GPUs) record that need in ctx.needs. Pure apart from reading env_files through ctx.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { keyed } from './merge.js';
import { mapMounts } from './map-mounts.js';
import { bytes, durationSeconds, parsePort, quantity, shellWords, type PortMapping } from './units.js';
import { dnsLabel, isMap, type Json, type ProjectContext } from './context.js';

export type Container = Json & { name: string; image: string };

/** Fields this module maps (fully or with a warning); any other service field is reported. */
const HANDLED = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'expose', 'volumes', 'tmpfs', 'configs', 'secrets',
  'healthcheck', 'depends_on', 'deploy', 'restart', 'logging', 'networks', 'network_mode', 'privileged', 'user', 'working_dir',
  'hostname', 'labels', 'extra_hosts', 'dns', 'shm_size', 'init', 'read_only', 'ulimits', 'stop_signal', 'stop_grace_period',
  'cap_add', 'cap_drop', 'devices', 'sysctls', 'gpus', 'cpus', 'mem_limit', 'pull_policy', 'container_name', 'profiles', 'extends', 'scale',
]);

/** What Berth accepts as a network alias (a DNS subdomain). */
const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RESTART: Record<string, string> = { no: 'Never', always: 'Always', 'unless-stopped': 'UnlessStopped', 'on-failure': 'OnFailure' };
const SENSITIVE = /PASS|SECRET|TOKEN|KEY|CREDENTIAL/i;

const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.map(String) : []);
const command = (v: unknown): string[] => (typeof v === 'string' ? shellWords(v) : strings(v));

/** The container for SERVICE, or undefined (with a warning saying why) when it cannot run on Berth. */
export function mapService(service: string, svc: Json, ctx: ProjectContext): Container | undefined {
  const at = (field: string) => `service ${service}: ${field}`;
  if (typeof svc.image !== 'string' || svc.image === '') {
    ctx.warn(at(svc.build !== undefined ? 'build' : 'image'), svc.build !== undefined
      ? 'Berth runs images and does not build them: build and push the image, then set image: (service not converted)'
      : 'has no image (service not converted)');
    return undefined;
  }
  if (svc.build !== undefined) ctx.warn(at('build'), `not used: Berth runs the image ${svc.image} and does not build it (push it to a registry the host can pull from)`);

  const c: Container = { name: ctx.containers.get(service)!, image: svc.image };
  if (svc.pull_policy !== undefined) {
    const p = ({ always: 'Always', never: 'Never', missing: 'IfNotPresent', if_not_present: 'IfNotPresent' } as Record<string, string>)[String(svc.pull_policy)];
    if (p) c.imagePullPolicy = p; else ctx.warn(at('pull_policy'), `"${String(svc.pull_policy)}" has no Berth equivalent; Berth's default applies`);
  }
  if (svc.entrypoint !== undefined) c.command = command(svc.entrypoint);
  if (svc.command !== undefined) c.args = command(svc.command);

  const env = environment(service, svc, ctx);
  if (env.length) c.env = env;

  const ports = mapPorts(service, svc, ctx);
  if (ports.length) c.ports = ports;

  const { volumes, tmpfs } = mapMounts(service, svc, ctx);
  if (volumes.length) c.volumes = volumes.slice(0, 16);
  if (volumes.length > 16) ctx.warn(at('volumes'), `Berth mounts at most 16 volumes; ${volumes.slice(16).map((v) => v.mountPath).join(', ')} not mounted`);
  if (tmpfs.length) c.tmpfs = tmpfs;

  mapHealth(service, svc, c, ctx);
  mapRestartAndDeploy(service, svc, c, ctx);
  mapNetworking(service, svc, c, ctx);
  mapRunOptions(service, svc, c, ctx);
  for (const field of Object.keys(svc)) {
    if (!HANDLED.has(field) && !field.startsWith('x-')) ctx.warn(at(field), 'not supported by Berth; ignored');
  }
  return c;
}

function environment(service: string, svc: Json, ctx: ProjectContext): Array<{ name: string; value: string }> {
  const vars = new Map<string, string>();
  const files = Array.isArray(svc.env_file) ? svc.env_file : svc.env_file === undefined ? [] : [svc.env_file];
  files.forEach((f, i) => {
    const spec: Json = isMap(f) ? f : { path: f };
    const path = resolve(ctx.dir, String(spec.path));
    try {
      const read = ctx.readEnvFile(path);
      for (const [k, v] of read) vars.set(k, v);
      const sensitive = [...read.keys()].filter((k) => SENSITIVE.test(k));
      if (sensitive.length) ctx.warn(`service ${service}: env_file[${i}]`, `${sensitive.join(', ')} written as literal values into the manifest; consider a Secret (env valueFrom.secretKeyRef or envFrom)`);
    } catch (err) {
      const required = spec.required === undefined || spec.required === true || spec.required === 'true';
      if (required) throw err;
    }
  });
  for (const [k, v] of Object.entries(keyed(svc.environment))) {
    if (v === null || v === undefined) {
      const fromShell = ctx.env(k);
      if (fromShell === undefined) { vars.delete(k); ctx.warn(`service ${service}: environment.${k}`, 'has no value and is unset in the environment and .env; not set'); } else vars.set(k, fromShell);
    } else vars.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return [...vars].map(([name, value]) => ({ name, value }));
}

function mapPorts(service: string, svc: Json, ctx: ProjectContext): Array<{ containerPort: number; hostPort?: number; protocol: string }> {
  const out = new Map<string, { containerPort: number; hostPort?: number; protocol: string }>();
  const add = (where: string, m: PortMapping): void => {
    const protocol = m.protocol.toUpperCase();
    if (protocol !== 'TCP' && protocol !== 'UDP') { ctx.warn(where, `protocol ${m.protocol} is not supported by Berth (TCP, UDP); not mapped`); return; }
    let hostPort = m.hostPort;
    if (hostPort !== undefined && m.hostIp !== undefined && m.hostIp !== '0.0.0.0' && m.hostIp !== '::') {
      // Berth publishes on every host address; publishing a port meant for one address more widely
      // would expose it, so it is left unpublished rather than widened.
      ctx.warn(where, `published only on ${m.hostIp} in compose, but Berth publishes on every host address: left unpublished (set hostPort to publish it everywhere)`);
      hostPort = undefined;
    }
    const key = `${m.containerPort}/${protocol}`;
    const prev = out.get(key);
    if (prev && prev.hostPort !== undefined && hostPort !== undefined && prev.hostPort !== hostPort) {
      ctx.warn(where, `container port ${key} is already published on ${prev.hostPort}; Berth publishes a container port once; ${hostPort} not published`);
      return;
    }
    if (!prev || (prev.hostPort === undefined && hostPort !== undefined)) out.set(key, { containerPort: m.containerPort, ...(hostPort !== undefined ? { hostPort } : {}), protocol });
  };
  (Array.isArray(svc.ports) ? svc.ports : []).forEach((p, i) => {
    const where = `service ${service}: ports[${i}]`;
    try {
      const maps = parsePort(p);
      if (maps.some((m) => m.hostPort === undefined)) ctx.warn(where, `${JSON.stringify(p)}: compose publishes it on a random host port; Berth publishes fixed ports only: declared, not published`);
      for (const m of maps) add(where, m);
    } catch (err) { ctx.warn(where, `${(err as Error).message}; not mapped`); }
  });
  (Array.isArray(svc.expose) ? svc.expose : []).forEach((p, i) => {
    try { for (const m of parsePort(String(p))) add(`service ${service}: expose[${i}]`, { ...m, hostPort: undefined }); } catch (err) { ctx.warn(`service ${service}: expose[${i}]`, `${(err as Error).message}; not mapped`); }
  });
  const ports = [...out.values()];
  if (ports.length > 10) ctx.warn(`service ${service}: ports`, `Berth declares at most 10 ports per container; ${ports.slice(10).map((p) => `${p.containerPort}/${p.protocol}`).join(', ')} not mapped`);
  return ports.slice(0, 10);
}

function mapHealth(service: string, svc: Json, c: Container, ctx: ProjectContext): void {
  const h = svc.healthcheck;
  if (!isMap(h) || h.disable === true) return;
  const where = `service ${service}: healthcheck`;
  const test = typeof h.test === 'string' ? ['CMD-SHELL', h.test] : strings(h.test);
  if (test.length === 0) { ctx.warn(where, 'has no test; the image\'s own healthcheck (if any) is not carried over'); return; }
  if (test[0] === 'NONE') return;
  const exec = test[0] === 'CMD' ? test.slice(1) : test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test;
  const seconds = (field: string, min: number): number | undefined => {
    if (h[field] === undefined) return undefined;
    const s = durationSeconds(h[field]);
    if (s === undefined) { ctx.warn(`${where}.${field}`, `cannot read the duration ${JSON.stringify(h[field])}; Berth's default applies`); return undefined; }
    const whole = Math.max(min, Math.min(3600, Math.ceil(s)));
    if (whole !== s) ctx.warn(`${where}.${field}`, `${String(h[field])} rounded to ${whole}s (Berth counts whole seconds)`);
    return whole;
  };
  const hc: Json = { exec };
  const interval = seconds('interval', 1); if (interval !== undefined) hc.intervalSeconds = interval;
  const timeout = seconds('timeout', 1); if (timeout !== undefined) hc.timeoutSeconds = timeout;
  const start = seconds('start_period', 0); if (start !== undefined) hc.startPeriodSeconds = start;
  if (typeof h.retries === 'number') hc.retries = Math.max(1, Math.min(100, Math.round(h.retries)));
  if (h.start_interval !== undefined) ctx.warn(`${where}.start_interval`, 'not supported by Berth; ignored');
  c.healthcheck = hc;
}

function mapRestartAndDeploy(service: string, svc: Json, c: Container, ctx: ProjectContext): void {
  const deploy = isMap(svc.deploy) ? svc.deploy : {};
  if (svc.restart !== undefined) {
    const [policy, retries] = String(svc.restart).split(':');
    const p = RESTART[policy!];
    if (p) c.restartPolicy = p; else ctx.warn(`service ${service}: restart`, `"${String(svc.restart)}" is not a restart policy; Berth's default (UnlessStopped) applies`);
    if (retries) ctx.warn(`service ${service}: restart`, `the retry limit ${retries} is not supported by Berth; OnFailure retries without limit`);
  } else if (isMap(deploy.restart_policy)) {
    // Swarm's restart_policy; its condition defaults to "any".
    const p = ({ none: 'Never', 'on-failure': 'OnFailure', any: 'Always' } as Record<string, string>)[String(deploy.restart_policy.condition ?? 'any')];
    if (p) c.restartPolicy = p;
  } else {
    // compose's default is "no": a container that exits stays exited (Berth's Never: run to
    // completion, not started again). Berth's own default (UnlessStopped) would turn one-shot
    // services into restart loops.
    c.restartPolicy = 'Never';
  }
  const limits = isMap(deploy.resources) && isMap(deploy.resources.limits) ? deploy.resources.limits : {};
  const cpus = limits.cpus ?? svc.cpus;
  const memory = limits.memory ?? svc.mem_limit;
  const resources: Json = {};
  if (cpus !== undefined) {
    const n = Number(cpus);
    if (Number.isFinite(n) && n > 0) resources.cpus = Number.isInteger(n) ? n : String(n); else ctx.warn(`service ${service}: deploy.resources.limits.cpus`, `cannot read ${JSON.stringify(cpus)}; no CPU limit`);
  }
  if (memory !== undefined) {
    const b = bytes(memory);
    if (b !== undefined && b >= 6 * 2 ** 20) resources.memory = quantity(b); else ctx.warn(`service ${service}: deploy.resources.limits.memory`, `${JSON.stringify(memory)} is not a size of at least 6Mi (Docker's minimum); no memory limit`);
  }
  if (Object.keys(resources).length) c.resources = resources;
  for (const key of Object.keys(limits)) if (key !== 'cpus' && key !== 'memory') ctx.warn(`service ${service}: deploy.resources.limits.${key}`, 'not supported by Berth; ignored');
  if (svc.scale !== undefined && deploy.replicas === undefined) {
    if (Number(svc.scale) > 1) ctx.warn(`service ${service}: scale`, `${String(svc.scale)} replicas: a ContainerHost runs one container per service; one is declared`);
    if (Number(svc.scale) === 0) { ctx.warn(`service ${service}: scale`, '0 replicas: declared with state: Stopped'); c.state = 'Stopped'; }
  }
  for (const [key, value] of Object.entries(deploy)) {
    const where = `service ${service}: deploy.${key}`;
    if (key === 'resources') {
      const r = isMap(value) ? value : {};
      if (isMap(r.reservations)) mapReservations(service, r.reservations, c, ctx);
    } else if (key === 'replicas') {
      if (Number(value) > 1) ctx.warn(where, `${String(value)} replicas: a ContainerHost runs one container per service; one is declared`);
      if (Number(value) === 0) ctx.warn(where, '0 replicas: declared with state: Stopped');
      if (Number(value) === 0) c.state = 'Stopped';
    } else if (key !== 'restart_policy') ctx.warn(where, 'not supported by Berth (swarm deployment settings); ignored');
  }
  if (isMap(svc.logging)) {
    const driver = svc.logging.driver;
    if (driver !== undefined && driver !== 'json-file' && driver !== 'local') ctx.warn(`service ${service}: logging.driver`, `"${String(driver)}": Berth always uses json-file with rotation; ignored`);
    const opts = isMap(svc.logging.options) ? svc.logging.options : {};
    const logging: Json = {};
    const size = bytes(opts['max-size']);
    if (size !== undefined && size >= 1024) logging.maxSize = quantity(size);
    const files = Number(opts['max-file']);
    if (Number.isInteger(files) && files >= 1 && files <= 100) logging.maxFiles = files;
    for (const k of Object.keys(opts)) if (k !== 'max-size' && k !== 'max-file') ctx.warn(`service ${service}: logging.options.${k}`, 'not supported by Berth; ignored');
    if (Object.keys(logging).length) c.logging = logging;
  }
  if (svc.stop_grace_period !== undefined) {
    const s = durationSeconds(svc.stop_grace_period);
    if (s === undefined) ctx.warn(`service ${service}: stop_grace_period`, `cannot read ${JSON.stringify(svc.stop_grace_period)}`);
    else c.stopTimeoutSeconds = Math.min(3600, Math.ceil(s));
  }
}

function mapReservations(service: string, r: Json, c: Container, ctx: ProjectContext): void {
  for (const [key, value] of Object.entries(r)) {
    const where = `service ${service}: deploy.resources.reservations.${key}`;
    if (key !== 'devices') { ctx.warn(where, 'reservations are not supported by Berth (limits are); ignored'); continue; }
    const requests = (Array.isArray(value) ? value : []).filter(isMap).map((d) => {
      const count = d.count === 'all' ? -1 : d.count === undefined ? undefined : Number(d.count);
      return {
        ...(d.driver !== undefined ? { driver: String(d.driver) } : {}),
        ...(count !== undefined && Number.isInteger(count) ? { count } : {}),
        ...(Array.isArray(d.device_ids) ? { deviceIDs: d.device_ids.map(String) } : {}),
        ...(Array.isArray(d.capabilities) ? { capabilities: d.capabilities.map(String) } : {}),
      };
    });
    if (requests.length) { c.deviceRequests = requests; ctx.needs.gpus.add(c.name); }
  }
}

function mapNetworking(service: string, svc: Json, c: Container, ctx: ProjectContext): void {
  const mode = svc.network_mode === undefined ? undefined : String(svc.network_mode);
  const aliases = new Set<string>();
  if (c.name !== service) {
    if (DNS_NAME.test(service)) aliases.add(service);
    else if (mode === undefined || (mode !== 'host' && mode !== 'none')) ctx.warn(`service ${service}: networks`, `"${service}" is not a DNS name, so it cannot be a network alias: other containers reach this one as "${c.name}" (change references such as DB_HOST=${service})`);
  }
  const containerName = svc.container_name === undefined ? undefined : String(svc.container_name);
  const joinsNetworks = mode !== 'host' && mode !== 'none' && mode !== 'bridge';
  if (containerName !== undefined && containerName !== c.name) {
    if (joinsNetworks && DNS_NAME.test(containerName)) aliases.add(containerName);
    const kept = joinsNetworks && DNS_NAME.test(containerName);
    ctx.warn(`service ${service}: container_name`, `Berth names the container "${c.name}" (<project>-<service>)${kept ? `; "${containerName}" kept as a network alias` : ''}`);
  }
  if (mode === 'host' || mode === 'none') {
    c.network = mode;
    if (mode === 'host') { ctx.needs.hostNetwork.add(c.name); }
    if (svc.networks !== undefined) ctx.warn(`service ${service}: networks`, `ignored: network_mode ${mode} replaces them`);
    return;
  }
  if (mode !== undefined && mode !== 'bridge') {
    ctx.warn(`service ${service}: network_mode`, `"${mode}" is not supported by Berth (bridge, host, none or networks); the service joins its networks instead`);
  }
  if (mode === 'bridge') { c.network = 'bridge'; return; }
  const nets = svc.networks === undefined ? { default: null } : Array.isArray(svc.networks) ? Object.fromEntries(svc.networks.map((n) => [String(n), null])) : (svc.networks as Json);
  const joined: Json[] = [];
  for (const [name, opts] of Object.entries(nets)) {
    const docker = ctx.networks.get(name);
    if (!docker) { ctx.warn(`service ${service}: networks.${name}`, 'not declared in the top-level networks; not joined'); continue; }
    const own = new Set(aliases);
    if (isMap(opts)) {
      for (const a of strings(opts.aliases)) own.add(a);
      for (const k of Object.keys(opts)) if (k !== 'aliases') ctx.warn(`service ${service}: networks.${name}.${k}`, 'not supported by Berth; ignored');
    }
    joined.push({ name: docker, ...(own.size ? { aliases: [...own] } : {}) });
  }
  if (joined.length) c.networks = joined.slice(0, 8);
}

function mapRunOptions(service: string, svc: Json, c: Container, ctx: ProjectContext): void {
  const at = (field: string) => `service ${service}: ${field}`;
  if (svc.privileged === true) { c.privileged = true; ctx.needs.privileged.add(c.name); }
  if (svc.user !== undefined) c.user = String(svc.user);
  if (svc.working_dir !== undefined) c.workingDir = String(svc.working_dir);
  if (svc.hostname !== undefined) c.hostname = String(svc.hostname);
  if (svc.labels !== undefined) {
    const labels = Object.fromEntries(Object.entries(keyed(svc.labels)).map(([k, v]) => [k, v === null ? '' : String(v)]));
    for (const k of Object.keys(labels)) if (k.startsWith('berth.dev/')) { ctx.warn(at(`labels.${k}`), 'berth.dev/ labels are reserved for Berth; dropped'); delete labels[k]; }
    if (Object.keys(labels).length) c.labels = labels;
  }
  if (svc.extra_hosts !== undefined) {
    const hosts: Json[] = [];
    for (const [host, ipRaw] of Object.entries(keyed(svc.extra_hosts, isMap(svc.extra_hosts) ? '=' : extraHostSep(svc.extra_hosts)))) {
      const ip = String(ipRaw ?? '').replace(/^\[|\]$/g, '');
      if (isIP(ip)) hosts.push({ hostname: host, ip }); else ctx.warn(at(`extra_hosts.${host}`), `"${ip}" is not an IP address (host-gateway is not supported by Berth); not added`);
    }
    if (hosts.length) c.extraHosts = hosts;
  }
  if (svc.dns !== undefined) c.dns = strings(svc.dns);
  if (svc.shm_size !== undefined) { const b = bytes(svc.shm_size); if (b) c.shmSize = quantity(b); else ctx.warn(at('shm_size'), `cannot read ${JSON.stringify(svc.shm_size)}`); }
  if (svc.init === true) c.init = true;
  if (svc.read_only === true) c.readOnlyRootFilesystem = true;
  if (isMap(svc.ulimits)) {
    c.ulimits = Object.entries(svc.ulimits).map(([name, v]) => (isMap(v) ? { name, soft: Number(v.soft), hard: Number(v.hard) } : { name, soft: Number(v), hard: Number(v) }));
  }
  if (svc.stop_signal !== undefined) c.stopSignal = String(svc.stop_signal);
  const cap = (s: string) => (s === 'ALL' || s.startsWith('CAP_') ? s : `CAP_${s}`).toUpperCase();
  if (svc.cap_add !== undefined) { c.capAdd = strings(svc.cap_add).map(cap); for (const x of c.capAdd as string[]) ctx.needs.capabilities.add(x); }
  if (svc.cap_drop !== undefined) c.capDrop = strings(svc.cap_drop).map(cap);
  if (Array.isArray(svc.devices)) {
    c.devices = svc.devices.map((d) => {
      if (isMap(d)) return { hostPath: String(d.source), ...(d.target ? { containerPath: String(d.target) } : {}), ...(d.permissions ? { permissions: String(d.permissions) } : {}) };
      const [hostPath, containerPath, permissions] = String(d).split(':');
      return { hostPath: hostPath!, ...(containerPath ? { containerPath } : {}), ...(permissions ? { permissions } : {}) };
    });
    for (const d of c.devices as Array<{ hostPath: string }>) ctx.needs.devices.add(d.hostPath);
  }
  if (svc.sysctls !== undefined) {
    c.sysctls = Object.entries(keyed(svc.sysctls)).map(([name, value]) => ({ name, value: String(value ?? '') }));
    for (const s of c.sysctls as Array<{ name: string }>) ctx.needs.sysctls.add(s.name);
  }
  if (svc.gpus !== undefined) {
    c.deviceRequests = svc.gpus === 'all' ? [{ count: -1, capabilities: ['gpu'] }]
      : (Array.isArray(svc.gpus) ? svc.gpus : []).filter(isMap).map((g) => ({ ...(g.driver ? { driver: String(g.driver) } : {}), ...(g.count !== undefined ? { count: g.count === 'all' ? -1 : Number(g.count) } : {}), capabilities: ['gpu'] }));
    ctx.needs.gpus.add(c.name);
  }
  mapDependsOn(service, svc, c, ctx);
}

/** extra_hosts list entries are "host:ip" or "host=ip"; an IPv6 address has colons of its own. */
function extraHostSep(list: unknown): string {
  return strings(list).some((s) => s.includes('=')) ? '=' : ':';
}

function mapDependsOn(service: string, svc: Json, c: Container, ctx: ProjectContext): void {
  if (svc.depends_on === undefined) return;
  const deps = Array.isArray(svc.depends_on) ? Object.fromEntries(svc.depends_on.map((d) => [String(d), { condition: 'service_started' }])) : (svc.depends_on as Json);
  const out: Json[] = [];
  for (const [dep, opts] of Object.entries(deps)) {
    const where = `service ${service}: depends_on.${dep}`;
    const name = ctx.containers.get(dep);
    if (!name) { ctx.warn(where, `service "${dep}" is not converted (see its warnings); dependency dropped`); continue; }
    const cond = isMap(opts) ? String(opts.condition ?? 'service_started') : 'service_started';
    if (cond === 'service_completed_successfully') ctx.warn(where, 'Berth has no "completed successfully" condition; mapped to Started');
    if (isMap(opts) && (opts.restart === true || opts.restart === 'true')) ctx.warn(`${where}.restart`, 'Berth does not restart a container when its dependency restarts; ignored');
    if (isMap(opts) && (opts.required === false || opts.required === 'false')) ctx.warn(`${where}.required`, 'Berth waits for every dependency; mapped as required');
    out.push({ name, condition: cond === 'service_healthy' ? 'Healthy' : 'Started' });
  }
  if (out.length) c.dependsOn = out;
}

export { dnsLabel };
