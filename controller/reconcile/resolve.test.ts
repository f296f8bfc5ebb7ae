import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerDecl, ContainerHost, SecretData } from '../api/types.js';
import { effectivePullPolicy, pullAuthFor, registryOf, resolveContainer } from './resolve.js';

const decl = (extra: Partial<ContainerDecl> = {}): ContainerDecl => ({
  name: 'web', image: 'nginx:1.27', state: 'Running', restartPolicy: 'UnlessStopped', network: 'bridge',
  privileged: false, stopTimeoutSeconds: 10, logging: { maxSize: '10Mi', maxFiles: 3 }, ...extra,
});
const secret = (name: string, data: Record<string, string>, type = 'Opaque'): SecretData =>
  ({ namespace: 'ns', name, type, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])) });
const lookup = (...secrets: SecretData[]) => (ns: string, name: string) => secrets.find((s) => s.namespace === ns && s.name === name);
const hash = (d: ContainerDecl, ...s: SecretData[]) => { const r = resolveContainer(d, 'ns', lookup(...s)); assert.ok(r.ok); return r.ok ? r.spec.specHash : ''; };

test('pull policy follows the Kubernetes defaulting rule', () => {
  assert.is(effectivePullPolicy('nginx'), 'Always');
  assert.is(effectivePullPolicy('nginx:latest'), 'Always');
  assert.is(effectivePullPolicy('nginx:1.27'), 'IfNotPresent');
  assert.is(effectivePullPolicy('127.0.0.1:5000/app'), 'Always', 'a registry port is not a tag');
  assert.is(effectivePullPolicy(`nginx@sha256:${'a'.repeat(64)}`), 'IfNotPresent');
  assert.is(effectivePullPolicy('nginx:latest', 'Never'), 'Never');
});

test('quantities become Docker numbers', () => {
  const r = resolveContainer(decl({ resources: { cpus: '500m', memory: '256Mi' }, logging: { maxSize: '1Mi', maxFiles: 2 } }), 'ns', lookup());
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.spec.resources, { nanoCpus: 500_000_000, memoryBytes: 256 * 2 ** 20 });
    assert.equal(r.spec.logging, { maxSizeBytes: 2 ** 20, maxFiles: 2 });
  }
});

test('the spec hash ignores run state and pull policy but not the image or env', () => {
  const base = hash(decl());
  assert.is(hash(decl({ state: 'Stopped' })), base);
  assert.is(hash(decl({ imagePullPolicy: 'Always' })), base);
  assert.is.not(hash(decl({ image: 'nginx:1.28' })), base);
  assert.is.not(hash(decl({ env: [{ name: 'A', value: '1' }] })), base);
});

test('a secret value changes the hash without ever entering it', () => {
  const d = decl({ env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] });
  const r = resolveContainer(d, 'ns', lookup(secret('db', { pw: 'hunter2' })));
  assert.ok(r.ok);
  if (r.ok) {
    assert.equal(r.spec.env, [{ name: 'PASSWORD', value: 'hunter2' }]);
    assert.not.match(r.spec.specHash, 'hunter2');
  }
  assert.is.not(hash(d, secret('db', { pw: 'hunter2' })), hash(d, secret('db', { pw: 'correct horse' })));
});

test('a missing secret is a clear resolution error; optional yields empty', () => {
  const d = decl({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'pw' } } }] });
  const missing = resolveContainer(d, 'ns', lookup());
  assert.equal(missing, { ok: false, reason: 'SecretNotFound', message: 'env P: Secret ns/db not found' });
  const noKey = resolveContainer(d, 'ns', lookup(secret('db', { other: 'x' })));
  assert.is(!noKey.ok && noKey.message, 'env P: key "pw" not found in Secret ns/db');
  const optional = resolveContainer(decl({ env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 'db', key: 'pw', optional: true } } }] }), 'ns', lookup());
  assert.ok(optional.ok && optional.spec.env[0]!.value === '');
});

test('pull credentials come from the matching dockerconfigjson secret', () => {
  const config = { auths: { '127.0.0.1:5000': { auth: Buffer.from('berth:s3cret').toString('base64') }, 'https://index.docker.io/v1/': { username: 'hub', password: 'pw' } } };
  const reg = secret('regcred', { '.dockerconfigjson': JSON.stringify(config) }, 'kubernetes.io/dockerconfigjson');
  const host = { metadata: { namespace: 'ns' }, spec: { imagePullSecrets: [{ name: 'missing' }, { name: 'regcred' }] } } as unknown as ContainerHost;
  assert.equal(pullAuthFor(host, '127.0.0.1:5000/team/app:1', lookup(reg)), { serveraddress: '127.0.0.1:5000', username: 'berth', password: 's3cret' });
  assert.equal(pullAuthFor(host, 'nginx:1', lookup(reg)), { serveraddress: 'https://index.docker.io/v1/', username: 'hub', password: 'pw' });
  assert.is(pullAuthFor(host, 'quay.io/x/y:1', lookup(reg)), undefined);
  assert.is(registryOf('localhost/app'), 'localhost');
  assert.is(registryOf('library/nginx'), 'docker.io');
});

test('files volumes: content from a ConfigMap or Secret, read-only, and only as a hash in the spec hash', () => {
  const cm = { namespace: 'ns', name: 'conf', data: { 'app.conf': Buffer.from('port=80') } };
  const maps = (ns: string, name: string) => (ns === cm.namespace && name === cm.name ? cm : undefined);
  const d = decl({ volumes: [{ mountPath: '/etc/app', readOnly: false, files: { configMap: 'conf' } }, { mountPath: '/run/s', readOnly: false, files: { secret: 'pw', items: [{ key: 'password', path: 'db/pw', mode: 0o400 }] } }] });
  const r = resolveContainer(d, 'ns', lookup(secret('pw', { password: 'hunter2-secret' })), maps);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.spec.volumes.map((v) => [v.mountPath, v.readOnly, v.files?.map((f) => [f.path, f.mode, Buffer.from(f.contentBase64, 'base64').toString()])]), [
    ['/etc/app', true, [['app.conf', 0o644, 'port=80']]], ['/run/s', true, [['db/pw', 0o400, 'hunter2-secret']]]]);
  const changed = resolveContainer(d, 'ns', lookup(secret('pw', { password: 'other' })), maps);
  assert.ok(changed.ok && changed.spec.specHash !== r.spec.specHash, 'a content change is a spec change');
  const missing = resolveContainer(d, 'ns', lookup(), maps);
  assert.ok(!missing.ok && missing.reason === 'SecretNotFound');
  assert.ok(!JSON.stringify(missing).includes('hunter2'));
});

test('envFrom: every key (prefixed), env entries win, Secret values hashed like secret env', () => {
  const cm = { namespace: 'ns', name: 'env', data: { MODE: Buffer.from('prod'), 'bad key': Buffer.from('x'), LEVEL: Buffer.from('info') } };
  const maps = (_ns: string, name: string) => (name === 'env' ? cm : undefined);
  const r = resolveContainer(decl({ env: [{ name: 'LEVEL', value: 'debug' }], envFrom: [{ configMapRef: { name: 'env' } }, { prefix: 'DB_', secretRef: { name: 'db' } }, { secretRef: { name: 'gone', optional: true } }] }),
    'ns', lookup(secret('db', { PASSWORD: 'pw' })), maps);
  assert.ok(r.ok);
  if (r.ok) assert.equal(r.spec.env, [{ name: 'MODE', value: 'prod' }, { name: 'DB_PASSWORD', value: 'pw' }, { name: 'LEVEL', value: 'debug' }]);
});

test('a container without the new fields resolves exactly as before (no new keys)', () => {
  const r = resolveContainer(decl(), 'ns', lookup());
  assert.ok(r.ok);
  if (r.ok) assert.equal(Object.keys(r.spec).sort(), ['env', 'image', 'imagePullPolicy', 'logging', 'name', 'network', 'ports', 'privileged', 'restartPolicy', 'specHash', 'state', 'stopTimeoutSeconds', 'volumes']);
});

test.run();
