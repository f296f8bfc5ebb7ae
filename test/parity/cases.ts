// The parity table: manifests that the real kube-apiserver and `berth validate` must judge alike.
// Valid ones exercise the breadth of the schema; each invalid one breaks exactly one rule (named in
// `breaks`). Namespaces are left out: the test applies them into a namespace of its own.

export interface ParityCase {
  name: string;
  /** What both judges must say. */
  valid: boolean;
  /** For invalid cases: the one rule broken. */
  breaks?: string;
  /**
   * A rule CEL cannot express within the apiserver's cost limits (dependsOn cycles): the apiserver
   * accepts the manifest, `berth validate` refuses it, and the controller reports it in status.
   */
  berthOnly?: true;
  doc: Record<string, unknown>;
}

const host = (spec: Record<string, unknown>, name = 'box') =>
  ({ apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: { name }, spec });
const token = (spec: Record<string, unknown>, name = 'box') =>
  ({ apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', metadata: { name }, spec });
const web = (extra: Record<string, unknown> = {}) => ({ name: 'web', image: 'nginx:1.27', ...extra });
const one = (extra: Record<string, unknown>, spec: Record<string, unknown> = {}) => host({ ...spec, containers: [web(extra)] });
const srv = { policy: { allowedHostPaths: ['/srv'] } };

const valid = (name: string, doc: Record<string, unknown>): ParityCase => ({ name, valid: true, doc });
const invalid = (name: string, breaks: string, doc: Record<string, unknown>): ParityCase => ({ name, valid: false, breaks, doc });
const berthOnly = (name: string, breaks: string, doc: Record<string, unknown>): ParityCase => ({ name, valid: false, breaks, berthOnly: true, doc });

// Issue 13: ContainerSets (the template is the ContainerHost container schema).
const cset = (spec: Record<string, unknown>, name = 'fleet') => ({ apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerSet', metadata: { name }, spec });
const tpl = { template: { containers: [{ name: 'web', image: 'nginx:1.27' }] } };
const ISSUE_13: ParityCase[] = [
  valid('container set minimal', cset({ hostSelector: { matchLabels: { tier: 'edge' } }, ...tpl })),
  valid('container set with every strategy field', cset({
    hostSelector: { matchLabels: { tier: 'edge' }, matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'gpu', operator: 'DoesNotExist' }] },
    template: { containers: [{ name: 'api', image: 'busybox:1.36', healthcheck: { exec: ['true'] } }, { name: 'web', image: 'nginx:1.27', dependsOn: [{ name: 'api', condition: 'Healthy' }] }] },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%', minReadySeconds: 10 }, canary: { hosts: 1, pause: true }, failurePolicy: 'Pause', progressDeadlineSeconds: 300 },
    paused: true, revisionHistoryLimit: 3, imageUpdates: { policy: 'Poll', intervalSeconds: 300 },
  })),
  invalid('container set without a selector', 'required', cset({ ...tpl })),
  invalid('container set In without values', 'CEL selector values', cset({ hostSelector: { matchExpressions: [{ key: 'zone', operator: 'In' }] }, ...tpl })),
  invalid('container set maxUnavailable 0%', 'CEL maxUnavailable', cset({ hostSelector: {}, ...tpl, updateStrategy: { rollingUpdate: { maxUnavailable: '0%' } } })),
  invalid('container set unknown failurePolicy', 'enum', cset({ hostSelector: {}, ...tpl, updateStrategy: { failurePolicy: 'Retry' } })),
  invalid('container set empty template', 'minItems', cset({ hostSelector: {}, template: { containers: [] } })),
  invalid('container set bad container name', 'name pattern', cset({ hostSelector: {}, template: { containers: [{ name: 'Web', image: 'nginx' }] } })),
];

// Issue 14: a multi-container app and the run options.
const api = (extra: Record<string, unknown> = {}) => ({ name: 'api', image: 'busybox:1.36', ...extra });
const checked = { exec: ['true'] };
const gated = { allowCapabilities: ['CAP_NET_ADMIN'], allowDevices: ['/dev/fuse', '/dev/dri/*'], allowSysctls: ['net.ipv4.*'], allowGPUs: true };
const ISSUE_14: ParityCase[] = [
  valid('multi-container app: networks, files, dependsOn', host({
    networks: [{ name: 'app-net', driver: 'bridge', internal: true, ipv6: false, subnet: '172.30.7.0/24', labels: { team: 'web' } }],
    containers: [
      api({ networks: [{ name: 'app-net', aliases: ['backend'] }, { name: 'existing_net' }], healthcheck: checked,
        volumes: [{ mountPath: '/etc/api', files: { configMap: 'api-config', items: [{ key: 'api.conf', path: 'conf/api.conf', mode: 0o600 }] } },
          { mountPath: '/run/secrets/api', files: { secret: 'api-secrets' } }] }),
      web({ networks: [{ name: 'app-net' }], dependsOn: [{ name: 'api', condition: 'Healthy' }] }),
    ],
  })),
  valid('every ungated run option', one({
    user: '1000:1000', workingDir: '/srv/app', hostname: 'web-1', labels: { 'com.example/team': 'web' },
    extraHosts: [{ hostname: 'db.local', ip: '10.0.0.5' }, { hostname: 'gw', ip: 'host-gateway' }, { hostname: 'v6', ip: 'fd00::1' }],
    dns: ['1.1.1.1', '2606:4700:4700::1111'], tmpfs: [{ mountPath: '/tmp', size: '64Mi', mode: 0o1777 }, { mountPath: '/run' }],
    shmSize: '256Mi', init: true, readOnlyRootFilesystem: true, ulimits: [{ name: 'nofile', soft: 1024, hard: 4096 }],
    envFrom: [{ configMapRef: { name: 'web-env' } }, { prefix: 'DB_', secretRef: { name: 'db', optional: true } }],
    stopSignal: 'SIGQUIT', capDrop: ['ALL'],
  })),
  valid('every gated run option with policy', one({
    capAdd: ['CAP_NET_ADMIN'], devices: [{ hostPath: '/dev/fuse' }, { hostPath: '/dev/dri/card0', containerPath: '/dev/dri/card0', permissions: 'rw' }],
    sysctls: [{ name: 'net.ipv4.ip_unprivileged_port_start', value: '80' }], deviceRequests: [{ driver: 'nvidia', count: -1, capabilities: ['gpu'] }],
  }, { policy: gated })),
  valid('capAdd ALL with ALL allowed', one({ capAdd: ['ALL'] }, { policy: { allowCapabilities: ['ALL'] } })),
  invalid('capAdd without policy', 'CEL allowCapabilities', one({ capAdd: ['CAP_NET_ADMIN'] })),
  invalid('capAdd not in the allowed list', 'CEL allowCapabilities', one({ capAdd: ['CAP_SYS_ADMIN'] }, { policy: gated })),
  invalid('device without policy', 'CEL allowDevices', one({ devices: [{ hostPath: '/dev/fuse' }] })),
  invalid('device outside an allowed directory', 'CEL allowDevices', one({ devices: [{ hostPath: '/dev/sda' }] }, { policy: gated })),
  invalid('sysctl without policy', 'CEL allowSysctls', one({ sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] })),
  invalid('sysctl outside an allowed prefix', 'CEL allowSysctls', one({ sysctls: [{ name: 'kernel.msgmax', value: '1' }] }, { policy: gated })),
  invalid('GPUs without policy', 'CEL allowGPUs', one({ deviceRequests: [{ count: 1 }] })),
  invalid('reserved user label', 'CEL reserved labels', one({ labels: { 'berth.dev/managed': 'false' } })),
  invalid('reserved network label', 'CEL reserved labels', host({ networks: [{ name: 'n', labels: { 'berth.dev/host': 'x' } }] })),
  berthOnly('dependsOn an unknown container', 'dependsOn names (berth validate only)', host({ containers: [web({ dependsOn: [{ name: 'db' }] })] })),
  invalid('dependsOn itself', 'CEL self-dependency', host({ containers: [web({ dependsOn: [{ name: 'web' }] })] })),
  berthOnly('Healthy dependency without a healthcheck', 'dependsOn Healthy (berth validate only)', host({ containers: [api(), web({ dependsOn: [{ name: 'api', condition: 'Healthy' }] })] })),
  berthOnly('dependsOn cycle', 'dependsOn cycle (berth validate only)', host({ containers: [api({ dependsOn: [{ name: 'web' }] }), web({ dependsOn: [{ name: 'api' }] })] })),
  invalid('unknown dependsOn condition', 'enum', host({ containers: [api(), web({ dependsOn: [{ name: 'api', condition: 'Ready' }] })] })),
  invalid('network and networks both set', 'CEL network xor networks', one({ network: 'backend_net', networks: [{ name: 'app-net' }] })),
  invalid('networks entry host', 'CEL networks entry', one({ networks: [{ name: 'host' }] })),
  invalid('declared network named bridge', 'CEL Docker networks', host({ networks: [{ name: 'bridge' }] })),
  invalid('network driver overlay', 'enum', host({ networks: [{ name: 'n', driver: 'overlay' }] })),
  invalid('subnet not CIDR', 'CEL CIDR', host({ networks: [{ name: 'n', subnet: '172.30.0.0' }] })),
  invalid('files with configMap and secret', 'CEL files source', one({ volumes: [{ mountPath: '/c', files: { configMap: 'a', secret: 'b' } }] })),
  invalid('files and volume in one mount', 'CEL volume source', one({ volumes: [{ mountPath: '/c', volume: 'v', files: { configMap: 'a' } }] })),
  invalid('files item path escaping', 'pattern', one({ volumes: [{ mountPath: '/c', files: { configMap: 'a', items: [{ key: 'k', path: '../etc/passwd' }] } }] })),
  invalid('files item absolute path', 'pattern', one({ volumes: [{ mountPath: '/c', files: { configMap: 'a', items: [{ key: 'k', path: '/etc/passwd' }] } }] })),
  invalid('extraHosts ip not an address', 'CEL IP', one({ extraHosts: [{ hostname: 'db', ip: 'db.example' }] })),
  invalid('dns not an address', 'CEL IP', one({ dns: ['dns.example'] })),
  invalid('relative workingDir', 'CEL normalized path', one({ workingDir: 'app' })),
  invalid('tmpfs size zero', 'CEL positive quantity', one({ tmpfs: [{ mountPath: '/tmp', size: 0 }] })),
  invalid('shmSize not a quantity', 'CEL positive quantity', one({ shmSize: 'big' })),
  invalid('ulimit soft above hard', 'CEL ulimit', one({ ulimits: [{ name: 'nofile', soft: 10, hard: 5 }] })),
  invalid('unknown ulimit', 'enum', one({ ulimits: [{ name: 'files', soft: 1, hard: 1 }] })),
  invalid('envFrom with both sources', 'CEL envFrom source', one({ envFrom: [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }] })),
  invalid('stopSignal lowercase', 'pattern', one({ stopSignal: 'sigterm' })),
  invalid('capability without CAP_ prefix', 'pattern', one({ capDrop: ['NET_RAW'] })),
  invalid('device outside /dev', 'pattern', one({ devices: [{ hostPath: '/etc/passwd' }] }, { policy: { allowDevices: ['/dev/fuse'] } })),
  invalid('deviceRequests with count and deviceIDs', 'CEL count xor deviceIDs', one({ deviceRequests: [{ count: 1, deviceIDs: ['0'] }] }, { policy: { allowGPUs: true } })),
  invalid('hostname not a DNS label', 'pattern', one({ hostname: 'Web_1' })),
];

export const PARITY_CASES: ParityCase[] = [
  // ---- valid
  valid('minimal host', host({ containers: [web()] })),
  valid('host without containers', host({})),
  valid('design example', host({
    paused: false, removalPolicy: 'Delete',
    policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: ['/srv'] },
    imagePullSecrets: [{ name: 'regcred' }],
    containers: [web({
      imagePullPolicy: 'IfNotPresent', state: 'Running', command: ['nginx'], args: ['-g', 'daemon off;'],
      env: [{ name: 'MODE', value: 'prod' }, { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'web-secrets', key: 'password' } } }],
      ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }],
      volumes: [{ hostPath: '/srv/web', mountPath: '/usr/share/nginx/html', readOnly: true }, { volume: 'web-cache', mountPath: '/var/cache/nginx' }],
      restartPolicy: 'UnlessStopped',
      healthcheck: { exec: ['wget', '-qO-', 'localhost'], intervalSeconds: 10, timeoutSeconds: 3, retries: 3 },
      resources: { cpus: '0.5', memory: '256Mi' }, network: 'bridge', privileged: false, stopTimeoutSeconds: 10,
      logging: { maxSize: '10Mi', maxFiles: 3 },
    })],
  })),
  valid('privileged with policy', one({ privileged: true }, { policy: { allowPrivileged: true } })),
  valid('host network with policy', one({ network: 'host' }, { policy: { allowHostNetwork: true } })),
  valid('hostPath with root "/" allowed', one({ volumes: [{ hostPath: '/etc/app/conf.d', mountPath: '/conf' }] }, { policy: { allowedHostPaths: ['/'] } })),
  valid('hostPath equal to an allowed root', one({ volumes: [{ hostPath: '/srv', mountPath: '/data' }] }, srv)),
  valid('integer cpus and memory', one({ resources: { cpus: 2, memory: 268435456 } })),
  valid('milli-cpus and Gi memory', one({ resources: { cpus: '500m', memory: '1Gi' }, logging: { maxSize: 1048576, maxFiles: 1 } })),
  valid('same hostPort on TCP and UDP', host({ containers: [web({ ports: [{ containerPort: 53, hostPort: 5353 }] }), { name: 'dns', image: 'coredns/coredns:1.11.1', ports: [{ containerPort: 53, hostPort: 5353, protocol: 'UDP' }] }] })),
  valid('registry with port and digest', one({ image: `127.0.0.1:5000/team/app_x:1.0@sha256:${'a'.repeat(64)}` })),
  valid('user-defined network and stopped state', one({ network: 'backend_net', state: 'Stopped', restartPolicy: 'Never' })),
  valid('agent token minimal', token({ hostRef: { name: 'box' } })),
  valid('agent token with ttl and secret', token({ hostRef: { name: 'box' }, ttl: '1h30m', secretName: 'box.token' })),
  valid('agent token bootstrap (one-time join token)', token({ hostRef: { name: 'box' }, bootstrap: true, ttl: '30m' })),

  // ---- invalid: one rule each
  invalid('unknown field in spec', 'strict fields', host({ containers: [web()], replicas: 2 })),
  invalid('unknown field in container', 'strict fields', one({ cmd: ['x'] })),
  invalid('uppercase container name', 'name pattern', host({ containers: [{ name: 'Web', image: 'nginx' }] })),
  invalid('duplicate container names', 'list-map key', host({ containers: [web(), web({ image: 'redis:7' })] })),
  invalid('image with a space', 'image pattern', one({ image: 'nginx 1.27' })),
  invalid('missing image', 'required', host({ containers: [{ name: 'web' }] })),
  invalid('unknown state', 'enum', one({ state: 'Paused' })),
  invalid('unknown restartPolicy', 'enum', one({ restartPolicy: 'Sometimes' })),
  invalid('containerPort out of range', 'maximum', one({ ports: [{ containerPort: 70000 }] })),
  invalid('privileged without policy', 'CEL privileged', one({ privileged: true })),
  invalid('host network without policy', 'CEL host network', one({ network: 'host' })),
  invalid('hostPath outside allowed roots', 'CEL allowed roots', one({ volumes: [{ hostPath: '/etc', mountPath: '/etc-host' }] }, srv)),
  invalid('hostPath sibling of an allowed root', 'CEL allowed roots', one({ volumes: [{ hostPath: '/srvx/data', mountPath: '/d' }] }, srv)),
  invalid('hostPath not normalized', 'CEL normalized path', one({ volumes: [{ hostPath: '/srv/../etc', mountPath: '/d' }] }, { policy: { allowedHostPaths: ['/'] } })),
  invalid('hostPath with a trailing slash', 'CEL normalized path', one({ volumes: [{ hostPath: '/srv/web/', mountPath: '/d' }] }, srv)),
  invalid('relative mountPath', 'CEL normalized path', one({ volumes: [{ volume: 'data', mountPath: 'data' }] })),
  invalid('relative allowed host path', 'CEL normalized path', host({ policy: { allowedHostPaths: ['srv'] } })),
  invalid('env with value and valueFrom', 'CEL env xor', one({ env: [{ name: 'A', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] })),
  invalid('env with neither value nor valueFrom', 'CEL env xor', one({ env: [{ name: 'A' }] })),
  invalid('duplicate env names', 'list-map key', one({ env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] })),
  invalid('volume with two sources', 'CEL volume source', one({ volumes: [{ hostPath: '/srv/a', volume: 'a', mountPath: '/a' }] }, srv)),
  invalid('volume without a source', 'CEL volume source', one({ volumes: [{ mountPath: '/a' }] })),
  invalid('hostPort published twice', 'CEL unique hostPort', host({ containers: [web({ ports: [{ containerPort: 80, hostPort: 8080 }] }), { name: 'api', image: 'api:1', ports: [{ containerPort: 81, hostPort: 8080 }] }] })),
  invalid('memory not a quantity', 'CEL quantity', one({ resources: { memory: 'lots' } })),
  invalid('memory below 6Mi', 'CEL quantity bound', one({ resources: { memory: '1Mi' } })),
  invalid('zero cpus', 'CEL quantity bound', one({ resources: { cpus: '0' } })),
  invalid('unquoted decimal cpus', 'int-or-string type', one({ resources: { cpus: 0.5 } })),
  invalid('negative stopTimeoutSeconds', 'minimum', one({ stopTimeoutSeconds: -1 })),
  invalid('empty healthcheck command', 'minItems', one({ healthcheck: { exec: [] } })),
  invalid('invalid metadata name', 'ObjectMeta name', host({ containers: [web()] }, 'Box_1')),
  invalid('missing spec', 'required', { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: { name: 'box' } }),
  invalid('agent token without hostRef', 'required', token({ ttl: '24h' })),
  invalid('agent token ttl below 1m', 'CEL duration', token({ hostRef: { name: 'box' }, ttl: '10s' })),
  invalid('agent token ttl not a duration', 'CEL duration', token({ hostRef: { name: 'box' }, ttl: 'forever' })),
  invalid('agent token bootstrap not a boolean', 'type', token({ hostRef: { name: 'box' }, bootstrap: 'yes' })),
  ...ISSUE_14,
  ...ISSUE_13,
];
