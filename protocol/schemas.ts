// JSON Schemas for every frame. Both ends validate every received frame against these before
// acting on it; a frame that fails gets an `error` reply and is counted, never thrown.
import { EXEC_CHUNK_BYTES, EXEC_WINDOW_BYTES } from './exec.js';
import { MAX_STATS_CONTAINERS, MAX_STATS_INTERVAL_S, MIN_STATS_INTERVAL_S } from './stats.js';

const str = (maxLength = 1024) => ({ type: 'string', maxLength }) as const;
const strings = (maxItems: number, maxLength = 4096) => ({ type: 'array', maxItems, items: str(maxLength) }) as const;
const int = (minimum = 0, maximum = Number.MAX_SAFE_INTEGER) => ({ type: 'integer', minimum, maximum }) as const;
const obj = (properties: Record<string, unknown>, required: string[] = []) =>
  ({ type: 'object', additionalProperties: false, properties, required }) as const;
const id = str(128);
/** Exec data: base64 of at most EXEC_CHUNK_BYTES (the pattern keeps anything else out). */
const base64 = { type: 'string', maxLength: Math.ceil(EXEC_CHUNK_BYTES / 3) * 4, pattern: '^[A-Za-z0-9+/]*={0,2}$' } as const;
const stream = { type: 'string', minLength: 1, maxLength: 128 } as const;

const errorBody = obj({ code: str(64), message: str(8192) }, ['code', 'message']);

const hostPolicy = obj({
  allowPrivileged: { type: 'boolean' },
  allowHostNetwork: { type: 'boolean' },
  allowedHostPaths: strings(32, 1024),
  allowCapabilities: strings(64, 32), allowDevices: strings(64, 256), allowSysctls: strings(64, 253), allowGPUs: { type: 'boolean' },
}, ['allowPrivileged', 'allowHostNetwork', 'allowedHostPaths']);

const labels = { type: 'object', maxProperties: 64, additionalProperties: str(4096) } as const;
const networkSpec = obj({
  name: str(128), driver: { enum: ['bridge'] }, internal: { type: 'boolean' }, ipv6: { type: 'boolean' }, subnet: str(64), labels,
}, ['name', 'driver']);
const networks = { type: 'array', maxItems: 16, items: networkSpec } as const;
const fileItem = obj({ path: str(1024), mode: int(0, 0o777), contentBase64: { type: 'string', maxLength: 700_000 } }, ['path', 'mode', 'contentBase64']);
/** Issue 14's optional container fields (absent unless declared). */
const runOptions = {
  networks: { type: 'array', maxItems: 8, items: obj({ name: str(128), aliases: strings(16, 253) }, ['name']) },
  user: str(256), workingDir: str(1024), hostname: str(63), labels,
  extraHosts: { type: 'array', maxItems: 32, items: obj({ hostname: str(253), ip: str(64) }, ['hostname', 'ip']) },
  dns: strings(8, 64),
  tmpfs: { type: 'array', maxItems: 16, items: obj({ mountPath: str(1024), sizeBytes: int(1), mode: int(0, 4095) }, ['mountPath']) },
  shmSizeBytes: int(1), init: { type: 'boolean' }, readOnlyRootFilesystem: { type: 'boolean' },
  ulimits: { type: 'array', maxItems: 16, items: obj({ name: str(16), soft: int(), hard: int() }, ['name', 'soft', 'hard']) },
  stopSignal: str(16), capAdd: strings(64, 32), capDrop: strings(64, 32),
  devices: { type: 'array', maxItems: 16, items: obj({ hostPath: str(256), containerPath: str(256), permissions: str(3) }, ['hostPath']) },
  sysctls: { type: 'array', maxItems: 32, items: obj({ name: str(253), value: str(256) }, ['name', 'value']) },
  deviceRequests: { type: 'array', maxItems: 8, items: obj({ driver: str(64), count: int(-1, 1024), deviceIDs: strings(64, 128), capabilities: strings(8, 64) }) },
} as const;

const observedContainer = obj({
  name: str(255), containerID: str(128), image: str(1024), imageID: str(256),
  state: { enum: ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] },
  health: { enum: ['none', 'starting', 'healthy', 'unhealthy'] },
  restartCount: int(), startedAt: str(64), finishedAt: str(64), exitCode: int(-(2 ** 31), 2 ** 31),
  specHash: str(128), hostUid: str(128),
}, ['name', 'containerID', 'image', 'imageID', 'state', 'health', 'restartCount']);

const dockerFacts = {
  oneOf: [
    obj({ ok: { const: true }, version: str(128), cpus: int(), memoryBytes: int(), apiVersion: str(32), minAPIVersion: str(32) }, ['ok', 'version', 'cpus', 'memoryBytes']),
    obj({ ok: { const: false }, error: str(8192) }, ['ok', 'error']),
  ],
} as const;

const containerSpec = obj({
  name: str(63), image: str(512),
  imagePullPolicy: { enum: ['Always', 'IfNotPresent', 'Never'] },
  state: { enum: ['Running', 'Stopped'] },
  command: strings(64), args: strings(256),
  env: { type: 'array', maxItems: 128, items: obj({ name: str(256), value: str(32768) }, ['name', 'value']) },
  ports: { type: 'array', maxItems: 10, items: obj({ containerPort: int(1, 65535), hostPort: int(1, 65535), protocol: { enum: ['TCP', 'UDP'] } }, ['containerPort', 'protocol']) },
  volumes: { type: 'array', maxItems: 16, items: obj({ hostPath: str(1024), volume: str(255), files: { type: 'array', maxItems: 64, items: fileItem }, mountPath: str(1024), readOnly: { type: 'boolean' } }, ['mountPath', 'readOnly']) },
  restartPolicy: { enum: ['Always', 'UnlessStopped', 'OnFailure', 'Never'] },
  healthcheck: obj({ exec: strings(64), intervalSeconds: int(1, 3600), timeoutSeconds: int(1, 3600), retries: int(1, 100), startPeriodSeconds: int(0, 3600) },
    ['exec', 'intervalSeconds', 'timeoutSeconds', 'retries', 'startPeriodSeconds']),
  resources: obj({ nanoCpus: int(1), memoryBytes: int(1) }),
  network: str(128), privileged: { type: 'boolean' }, stopTimeoutSeconds: int(0, 3600),
  logging: obj({ maxSizeBytes: int(1), maxFiles: int(1, 100) }, ['maxSizeBytes', 'maxFiles']),
  specHash: str(128),
  ...runOptions,
}, ['name', 'image', 'imagePullPolicy', 'state', 'env', 'ports', 'volumes', 'restartPolicy', 'network', 'privileged', 'stopTimeoutSeconds', 'logging', 'specHash']);

const pullAuth = obj({ serveraddress: str(512), username: str(512), password: str(4096), auth: str(8192), identitytoken: str(8192) }, ['serveraddress']);

/** A non-negative measurement (bytes up to 2^53, percent up to 100). */
const amount = (maximum = Number.MAX_SAFE_INTEGER) => ({ type: 'number', minimum: 0, maximum }) as const;
const containerStats = obj({
  name: str(255), cpuPercent: amount(100), cpuLimitCores: amount(4096), memoryBytes: amount(), memoryLimitBytes: amount(),
  netRxBytes: amount(), netTxBytes: amount(), blockReadBytes: amount(), blockWriteBytes: amount(), pids: int(0, 2 ** 31),
}, ['name', 'cpuPercent', 'memoryBytes', 'netRxBytes', 'netTxBytes', 'blockReadBytes', 'blockWriteBytes', 'pids']);

const frame = (type: string, properties: Record<string, unknown>, required: string[]) =>
  obj({ type: { const: type }, ...properties }, ['type', ...required]);

export const AGENT_FRAME_SCHEMAS: Record<string, object> = {
  hello: frame('hello', {
    protocolVersion: int(), docker: dockerFacts,
    agent: obj({ version: str(128), hostname: str(255), os: str(128), arch: str(64) }, ['version', 'hostname', 'os', 'arch']),
    containers: { type: 'array', maxItems: 1000, items: observedContainer },
  }, ['protocolVersion', 'agent', 'docker', 'containers']),
  observed: frame('observed', { docker: dockerFacts, containers: { type: 'array', maxItems: 1000, items: observedContainer } }, ['docker', 'containers']),
  result: frame('result', { id, ok: { type: 'boolean' }, error: errorBody, container: observedContainer }, ['id', 'ok']),
  log: frame('log', {
    stream, entries: { type: 'array', minItems: 1, maxItems: 10000, items: obj({ t: str(64), s: { enum: ['out', 'err'] }, l: str(65536) }, ['t', 's', 'l']) },
  }, ['stream', 'entries']),
  logEnd: frame('logEnd', { stream, reason: str(1024) }, ['stream']),
  execOutput: frame('execOutput', { id, stream: { enum: ['out', 'err'] }, data: base64 }, ['id', 'stream', 'data']),
  execEnd: frame('execEnd', { id, exitCode: int(-(2 ** 31), 2 ** 31), error: errorBody }, ['id']),
  execCredit: frame('execCredit', { id, bytes: int(1, EXEC_WINDOW_BYTES) }, ['id', 'bytes']),
  stats: frame('stats', {
    intervalSeconds: int(MIN_STATS_INTERVAL_S, MAX_STATS_INTERVAL_S),
    containers: { type: 'array', maxItems: MAX_STATS_CONTAINERS, items: containerStats },
  }, ['intervalSeconds', 'containers']),
  error: frame('error', { id, code: str(64), message: str(8192) }, ['code', 'message']),
};

export const CONTROLLER_FRAME_SCHEMAS: Record<string, object> = {
  welcome: frame('welcome', {
    protocolVersion: int(), policy: hostPolicy, resyncSeconds: int(1, 86400),
    host: obj({ namespace: str(63), name: str(253), uid: str(128) }, ['namespace', 'name', 'uid']),
    credential: str(8192),
  }, ['protocolVersion', 'host', 'policy', 'resyncSeconds']),
  apply: frame('apply', { id, container: containerSpec, policy: hostPolicy, hostUid: str(128), pullAuth, networks }, ['id', 'container', 'policy', 'hostUid']),
  remove: frame('remove', { id, name: str(63), networks }, ['id', 'name']),
  logs: frame('logs', { stream, name: str(63), tail: int(0, 100000), follow: { type: 'boolean' }, since: { type: 'string', minLength: 1, maxLength: 64 } }, ['stream', 'name', 'tail', 'follow']),
  logsCancel: frame('logsCancel', { stream }, ['stream']),
  restart: frame('restart', { id, name: str(63), startedAt: { type: 'string', minLength: 1, maxLength: 64 } }, ['id', 'name', 'startedAt']),
  execStart: frame('execStart', {
    id, container: str(63), cmd: { type: 'array', minItems: 1, maxItems: 256, items: str(8192) },
    tty: { type: 'boolean' }, stdin: { type: 'boolean' }, rows: int(1, 10000), cols: int(1, 10000),
  }, ['id', 'container', 'cmd', 'tty', 'stdin']),
  execInput: frame('execInput', { id, data: base64, eof: { type: 'boolean' } }, ['id']),
  execResize: frame('execResize', { id, rows: int(1, 10000), cols: int(1, 10000) }, ['id', 'rows', 'cols']),
  execCancel: frame('execCancel', { id }, ['id']),
  execCredit: frame('execCredit', { id, bytes: int(1, EXEC_WINDOW_BYTES) }, ['id', 'bytes']),
  error: frame('error', { id, code: str(64), message: str(8192) }, ['code', 'message']),
};
