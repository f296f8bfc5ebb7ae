// The parity table: manifests that the real kube-apiserver and `berth validate` must judge alike.
// Valid ones exercise the breadth of the schema; each invalid one breaks exactly one rule (named in
// `breaks`). Namespaces are left out: the test applies them into a namespace of its own.

export interface ParityCase {
  name: string;
  /** What both judges must say. */
  valid: boolean;
  /** For invalid cases: the one rule broken. */
  breaks?: string;
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
];
