// The mapping, field by field, on in-memory compose files: what each compose field becomes, the
// warning for what cannot be mapped as written, the policy set for gated fields, and that the
// result always passes the real validator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { ResourceValidator } from '../../controller/api/validate.js';
import { convertCompose, type ConvertResult } from './convert.js';

const validator = new ResourceValidator();
type C = Record<string, unknown> & { name: string };
type Spec = { containers: C[]; networks?: Array<Record<string, unknown>>; policy: Record<string, unknown> };

function convert(files: Record<string, unknown>, opts: { profiles?: string[]; environment?: Record<string, string> } = {}): ConvertResult & { spec: Spec; where: string[]; says: (where: string, re: RegExp) => boolean } {
  const text: Record<string, string> = Object.fromEntries(Object.entries(files).map(([k, v]) => [`/app/${k}`, typeof v === 'string' ? v : stringify(v)]));
  const r = convertCompose({ files: Object.keys(files).filter((f) => f.startsWith('compose')).map((f) => `/app/${f}`), environment: opts.environment ?? {}, profiles: opts.profiles },
    { readText: (p) => { if (!(p in text)) throw new Error(`ENOENT: ${p}`); return text[p]!; }, exists: (p) => p in text });
  if (r.documents[0]) assert.equal(validator.validate(r.documents[0]).issues, [], 'the output passes berth validate');
  const spec = (r.documents[0]?.spec ?? { containers: [], policy: {} }) as Spec;
  return { ...r, spec, where: r.warnings.map((w) => w.where), says: (where, re) => r.warnings.some((w) => w.where === where && re.test(w.message)) };
}
/** The container of service NAME (containers are named <project>-<service>). */
const one = (r: { spec: Spec }, name: string): C => r.spec.containers.find((c) => c.name === name || c.name.endsWith(`-${name}`) && !c.name.slice(0, -name.length - 1).includes(`-${name}`))!;
const names = (r: { spec: Spec }, project = 'app'): string[] => r.spec.containers.map((c) => c.name.replace(`${project}-`, ''));

test('image, command/entrypoint (string and list), environment list/map, env_file, .env interpolation', () => {
  const r = convert({
    'compose.yaml': { services: { app: { image: 'busybox:${TAG:-1.36}', entrypoint: 'sh -c', command: ['echo "$$HOME"'], environment: { A: 1, B: true, C: null, D: '${D_VAL}' }, env_file: ['app.env', { path: 'missing.env', required: false }] } } },
    '.env': 'D_VAL=from-dotenv\n', 'app.env': 'A=0\nE=e\n',
  }, { environment: { C: 'from-shell' } });
  const app = one(r, 'app');
  assert.is(app.image, 'busybox:1.36');
  assert.equal(app.command, ['sh', '-c']);
  assert.is(app.restartPolicy, 'Never', "compose's default restart is no");
  assert.equal(app.args, ['echo "$HOME"']);
  assert.equal(app.env, [{ name: 'A', value: '1' }, { name: 'E', value: 'e' }, { name: 'B', value: 'true' }, { name: 'C', value: 'from-shell' }, { name: 'D', value: 'from-dotenv' }]);
});

test('a required env_file that is missing, a ${VAR:?} unset, bad YAML, a schema violation: errors, exit-1 material', () => {
  assert.match(convert({ 'compose.yaml': { services: { a: { image: 'x', env_file: 'nope.env' } } } }).errors.join(), /ENOENT/);
  assert.match(convert({ 'compose.yaml': { services: { a: { image: '${IMG:?set IMG}' } } } }).errors.join(), /services\.a\.image: required variable IMG is unset: set IMG/);
  assert.match(convert({ 'compose.yaml': 'services:\n  a: [unclosed\n' }).errors.join(), /compose\.yaml:\d+:/);
  assert.match(convert({ 'compose.yaml': { services: { a: { image: 'x', restrat: 'always' } } } }).errors.join(), /services\.a\.restrat: unknown field/);
  assert.equal(convert({ 'compose.yaml': { services: { a: { build: '.' } } } }).errors, ['no service could be converted (see the warnings)']);
});

test('ports: every syntax; one-address and random host ports are said and left unpublished', () => {
  const r = convert({ 'compose.yaml': { services: { w: { image: 'nginx', ports: ['8080:80', '127.0.0.1:8443:443', '9000', '53:53/udp', { target: 22, published: '2222' }, '7000-7001:7000-7001', '5000:5000/sctp'], expose: ['3000'] } } } });
  assert.equal(one(r, 'w').ports, [
    { containerPort: 80, hostPort: 8080, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }, { containerPort: 9000, protocol: 'TCP' },
    { containerPort: 53, hostPort: 53, protocol: 'UDP' }, { containerPort: 22, hostPort: 2222, protocol: 'TCP' },
    { containerPort: 7000, hostPort: 7000, protocol: 'TCP' }, { containerPort: 7001, hostPort: 7001, protocol: 'TCP' }, { containerPort: 3000, protocol: 'TCP' },
  ]);
  assert.ok(r.says('service w: ports[1]', /only on 127\.0\.0\.1.*left unpublished/));
  assert.ok(r.says('service w: ports[2]', /random host port/));
  assert.ok(r.says('service w: ports[6]', /sctp is not supported/));
});

test('networks: default network, declared and external networks, aliases, host and none modes with policy', () => {
  const r = convert({ 'compose.yaml': {
    name: 'shop',
    services: {
      web: { image: 'nginx', networks: { front: { aliases: ['www'] }, back: null } },
      db_main: { image: 'postgres', networks: ['back'] },
      plain: { image: 'busybox' },
      edge: { image: 'busybox', network_mode: 'host' },
      sealed: { image: 'busybox', network_mode: 'none' },
      proxy: { image: 'busybox', networks: ['shared'] },
    },
    networks: { front: { driver: 'overlay' }, back: { internal: true, ipam: { config: [{ subnet: '172.28.0.0/16' }] } }, shared: { external: true, name: 'corp-net' } },
  } });
  assert.equal(r.spec.networks, [{ name: 'shop_front', driver: 'bridge' }, { name: 'shop_back', driver: 'bridge', internal: true, subnet: '172.28.0.0/16' }, { name: 'shop_default', driver: 'bridge' }]);
  assert.equal(one(r, 'web').networks, [{ name: 'shop_front', aliases: ['web', 'www'] }, { name: 'shop_back', aliases: ['web'] }]);
  // The CRD takes DNS names as aliases only, so the compose name db_main cannot be kept: said, not hidden.
  assert.equal(one(r, 'db-main').networks, [{ name: 'shop_back' }]);
  assert.ok(r.says('service db_main: networks', /"db_main" is not a DNS name.*reach this one as "shop-db-main"/));
  assert.equal(one(r, 'plain').networks, [{ name: 'shop_default', aliases: ['plain'] }]);
  assert.equal(one(r, 'proxy').networks, [{ name: 'corp-net', aliases: ['proxy'] }]);
  assert.is(one(r, 'edge').network, 'host');
  assert.is(one(r, 'sealed').network, 'none');
  assert.is(r.spec.policy.allowHostNetwork, true);
  assert.ok(r.says('policy', /allowHostNetwork: true \(network_mode: host: shop-edge\)/));
  assert.ok(r.says('networks.front', /overlay.*bridge/));
});

test('volumes: named, external, anonymous, bind (policy), tmpfs; configs and secrets as files volumes grouped by directory', () => {
  const r = convert({
    'compose.yaml': { name: 'p', services: { s: {
      image: 'nginx', volumes: ['data:/data', 'ext:/ext:ro', '/cache', './site:/usr/share/nginx/html:ro,z', { type: 'tmpfs', target: '/scratch', tmpfs: { size: '64m' } }],
      tmpfs: ['/run:size=16m,mode=1777'],
      configs: [{ source: 'nginx', target: '/etc/nginx/conf.d/default.conf', mode: 0o440 }, { source: 'extra', target: '/etc/nginx/conf.d/extra.conf' }, 'motd'],
      secrets: ['api_key', { source: 'tls', target: '/etc/tls/key.pem' }],
    } },
    volumes: { data: {}, ext: { external: true } },
    configs: { nginx: { file: './nginx.conf' }, extra: { content: 'gzip on;' }, motd: { content: 'hi' } },
    secrets: { api_key: { environment: 'API_KEY' }, tls: { external: true, name: 'site-tls' } } },
    'nginx.conf': 'server {}',
  });
  const s = one(r, 's');
  const vols = s.volumes as Array<Record<string, unknown>>;
  assert.equal(vols.slice(0, 3), [{ volume: 'p_data', mountPath: '/data' }, { volume: 'ext', mountPath: '/ext', readOnly: true }, { volume: vols[2]!.volume, mountPath: '/cache' }]);
  assert.match(String(vols[2]!.volume), /^p_s_[0-9a-f]{8}$/);
  assert.equal(vols[3], { hostPath: '/app/site', mountPath: '/usr/share/nginx/html', readOnly: true });
  assert.equal(vols.slice(4), [
    { mountPath: '/etc/nginx/conf.d', files: { configMap: 'p-config', items: [{ key: 'nginx', path: 'default.conf', mode: 0o440 }, { key: 'extra', path: 'extra.conf' }] } },
    { mountPath: '/run/secrets', files: { secret: 'p-secrets', items: [{ key: 'api_key', path: 'api_key' }] } },
    { mountPath: '/etc/tls', files: { secret: 'site-tls', items: [{ key: 'tls', path: 'key.pem' }] } },
  ]);
  assert.equal(s.tmpfs, [{ mountPath: '/scratch', size: '64Mi' }, { mountPath: '/run', size: '16Mi', mode: 0o1777 }]);
  assert.equal(r.spec.policy.allowedHostPaths, ['/app/site']);
  assert.ok(r.says('service s: volumes[3]', /mount option z not supported/));
  assert.ok(r.says('service s: configs[2]', /target \/motd is a file in "\/"/));
  assert.ok(r.says('secrets.tls', /expects a Secret "site-tls"/));
  assert.ok(r.says('secrets', /kubectl create secret generic p-secrets --from-literal=api_key="\$API_KEY"/));
  assert.equal(r.documents[1], { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'p-config' }, data: { nginx: 'server {}', extra: 'gzip on;', motd: 'hi' } });
});

test('healthcheck, depends_on conditions, restart, deploy, logging, stop settings', () => {
  const r = convert({ 'compose.yaml': { services: {
    db: { image: 'postgres', restart: 'on-failure:3', healthcheck: { test: 'pg_isready', interval: '1m30s', timeout: '500ms', retries: 5, start_period: '10s' },
      deploy: { replicas: 3, resources: { limits: { cpus: '0.5', memory: '512M', pids: 100 }, reservations: { memory: '128M' } }, placement: { constraints: ['node.role==manager'] } },
      logging: { driver: 'json-file', options: { 'max-size': '20m', 'max-file': '5', compress: 'true' } }, stop_grace_period: '1m', stop_signal: 'SIGINT' },
    migrate: { image: 'busybox', restart: 'no', healthcheck: { test: ['CMD', 'true'] }, depends_on: { db: { condition: 'service_healthy' } }, logging: { driver: 'syslog' } },
    web: { image: 'nginx', restart: 'unless-stopped', healthcheck: { disable: true }, depends_on: { migrate: { condition: 'service_completed_successfully' }, db: { condition: 'service_started' } }, deploy: { restart_policy: { condition: 'any' } } },
    off: { image: 'busybox', deploy: { replicas: 0, restart_policy: { condition: 'on-failure' } } },
    many: { image: 'busybox', scale: 2, depends_on: { db: { condition: 'service_started', restart: true, required: false } } },
  } } });
  const db = one(r, 'db');
  assert.equal(db.healthcheck, { exec: ['/bin/sh', '-c', 'pg_isready'], intervalSeconds: 90, timeoutSeconds: 1, startPeriodSeconds: 10, retries: 5 });
  assert.is(db.restartPolicy, 'OnFailure');
  assert.equal(db.resources, { cpus: '0.5', memory: '512Mi' });
  assert.equal(db.logging, { maxSize: '20Mi', maxFiles: 5 });
  assert.is(db.stopTimeoutSeconds, 60);
  assert.is(db.stopSignal, 'SIGINT');
  assert.equal(one(r, 'migrate').dependsOn, [{ name: 'app-db', condition: 'Healthy' }]);
  assert.is(one(r, 'migrate').restartPolicy, 'Never');
  assert.equal(one(r, 'migrate').healthcheck, { exec: ['true'] });
  assert.equal(one(r, 'web').dependsOn, [{ name: 'app-migrate', condition: 'Started' }, { name: 'app-db', condition: 'Started' }]);
  assert.is(one(r, 'web').healthcheck, undefined);
  assert.is(one(r, 'web').restartPolicy, 'UnlessStopped', 'restart wins over deploy.restart_policy');
  assert.is(one(r, 'off').state, 'Stopped');
  assert.is(one(r, 'off').restartPolicy, 'OnFailure');
  for (const [where, re] of [
    ['service db: restart', /retry limit 3/], ['service db: healthcheck.timeout', /rounded to 1s/], ['service db: deploy.replicas', /3 replicas/],
    ['service db: deploy.resources.limits.pids', /not supported/], ['service db: deploy.resources.reservations.memory', /reservations are not supported/],
    ['service db: deploy.placement', /swarm/], ['service db: logging.options.compress', /not supported/], ['service migrate: logging.driver', /syslog/],
    ['service web: depends_on.migrate', /completed successfully/], ['service off: deploy.replicas', /state: Stopped/],
    ['service many: scale', /2 replicas/], ['service many: depends_on.db.restart', /does not restart/], ['service many: depends_on.db.required', /mapped as required/],
  ] as const) assert.ok(r.says(where, re), `${where} ${re}`);
});

test('run options map to their fields; gated ones set the policy explicitly and say so', () => {
  const r = convert({ 'compose.yaml': { services: { s: {
    image: 'busybox', user: '1000:1000', working_dir: '/srv', hostname: 'box', labels: { team: 'a', 'berth.dev/x': 'no' }, extra_hosts: ['db.local:10.0.0.5', 'gw:host-gateway'],
    dns: '1.1.1.1', shm_size: '256m', init: true, read_only: true, ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: 512 }, privileged: true,
    cap_add: ['NET_ADMIN'], cap_drop: ['ALL'], devices: ['/dev/fuse:/dev/fuse:rwm'], sysctls: { 'net.core.somaxconn': 1024 },
    deploy: { resources: { reservations: { devices: [{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }] } } },
    pull_policy: 'always', platform: 'linux/amd64', security_opt: ['no-new-privileges:true'],
  } } } });
  const s = one(r, 's');
  assert.equal(
    { user: s.user, workingDir: s.workingDir, hostname: s.hostname, labels: s.labels, extraHosts: s.extraHosts, dns: s.dns, shmSize: s.shmSize, init: s.init, readOnlyRootFilesystem: s.readOnlyRootFilesystem, ulimits: s.ulimits, privileged: s.privileged, capAdd: s.capAdd, capDrop: s.capDrop, devices: s.devices, sysctls: s.sysctls, deviceRequests: s.deviceRequests, imagePullPolicy: s.imagePullPolicy },
    { user: '1000:1000', workingDir: '/srv', hostname: 'box', labels: { team: 'a' }, extraHosts: [{ hostname: 'db.local', ip: '10.0.0.5' }], dns: ['1.1.1.1'], shmSize: '256Mi', init: true, readOnlyRootFilesystem: true,
      ulimits: [{ name: 'nofile', soft: 1024, hard: 4096 }, { name: 'nproc', soft: 512, hard: 512 }], privileged: true, capAdd: ['CAP_NET_ADMIN'], capDrop: ['ALL'],
      devices: [{ hostPath: '/dev/fuse', containerPath: '/dev/fuse', permissions: 'rwm' }], sysctls: [{ name: 'net.core.somaxconn', value: '1024' }], deviceRequests: [{ driver: 'nvidia', count: -1, capabilities: ['gpu'] }], imagePullPolicy: 'Always' });
  assert.equal(r.spec.policy, { allowPrivileged: true, allowCapabilities: ['CAP_NET_ADMIN'], allowDevices: ['/dev/fuse'], allowSysctls: ['net.core.somaxconn'], allowGPUs: true });
  for (const re of [/allowPrivileged: true/, /allowCapabilities: CAP_NET_ADMIN/, /allowDevices: \/dev\/fuse/, /allowSysctls: net\.core\.somaxconn/, /allowGPUs: true/]) assert.ok(r.says('policy', re), String(re));
  assert.ok(r.says('service s: labels.berth.dev/x', /reserved/));
  assert.ok(r.says('service s: extra_hosts.gw', /host-gateway/));
  assert.ok(r.says('service s: platform', /not supported by Berth/));
  assert.ok(r.says('service s: security_opt', /not supported by Berth/));
});

test('build: with an image runs the image; without, the service is not converted and dependents lose the dependency', () => {
  const r = convert({ 'compose.yaml': { services: { api: { build: '.', image: 'registry.local/api:1' }, worker: { build: { context: '.', dockerfile: 'W' } }, web: { image: 'nginx', depends_on: ['worker', 'api'] } } } });
  assert.equal(names(r), ['api', 'web']);
  assert.ok(r.says('service api: build', /not used/));
  assert.ok(r.says('service worker: build', /service not converted/));
  assert.ok(r.says('service web: depends_on.worker', /not converted/));
  assert.equal(one(r, 'web').dependsOn, [{ name: 'app-api', condition: 'Started' }]);
});

test('-f files merge, extends, profiles, x- extensions and YAML anchors', () => {
  const r = convert({
    'compose.yaml': 'x-base: &base\n  image: busybox\n  restart: always\nservices:\n  a:\n    <<: *base\n    command: ["sleep", "1"]\n  b:\n    extends: a\n    profiles: [extra]\n  c:\n    extends: { service: tool, file: tools.yaml }\n',
    'compose.override.yaml': { services: { a: { environment: ['X=1'] } } },
    'tools.yaml': { services: { tool: { image: 'alpine', working_dir: '/w' } } },
  }, { profiles: ['extra'] });
  assert.equal(names(r), ['a', 'b', 'c']);
  assert.equal(one(r, 'b').args, ['sleep', '1']);
  assert.equal(one(r, 'b').env, [{ name: 'X', value: '1' }]);
  assert.is(one(r, 'c').workingDir, '/w');
  const without = convert({ 'compose.yaml': { services: { a: { image: 'x' }, b: { image: 'y', profiles: ['extra'] } } } });
  assert.equal(names(without), ['a']);
  assert.ok(without.says('service b', /profiles \(extra\) are not enabled/));
});

test('what this Berth\'s CRD refuses is removed with a warning, never left to fail berth validate', () => {
  const r = convert({ 'compose.yaml': { services: { ok: { image: 'busybox' }, bad: { image: 'Busy/Box:1' }, odd: { image: 'busybox', ulimits: { nofile: { soft: 10, hard: 5 } }, user: 'x'.repeat(300) } } } });
  assert.equal(names(r).sort(), ['odd', 'ok']);
  assert.ok(r.where.includes('container app-bad'));
  assert.ok(r.warnings.some((w) => w.where.startsWith('container app-odd') && /not accepted by Berth's ContainerHost schema/.test(w.message)));
});

test.run();
