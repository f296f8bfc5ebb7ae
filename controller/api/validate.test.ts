import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PARITY_CASES } from '../../test/parity/cases.js';
import { checkDocument } from './check.js';
import { parseManifestText } from './manifests.js';
import { RULE_TWINS } from './rules.js';
import { loadResourceKinds, type SchemaNode } from './schemas.js';
import { formatPath, ResourceValidator } from './validate.js';

const validator = new ResourceValidator();

for (const c of PARITY_CASES) {
  test(`parity case judged as expected offline: ${c.name}`, () => {
    const { issues } = validator.validate(c.doc);
    assert.is(issues.length === 0, c.valid, `${c.name}: ${issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('; ')}`);
  });
}

test('defaults are applied the way the apiserver applies them', () => {
  const { object, issues } = validator.validate<{ spec: Record<string, any> }>({
    apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: { name: 'box' },
    spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], healthcheck: { exec: ['true'] } }] },
  });
  assert.equal(issues, []);
  assert.equal(object.spec.policy, { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] });
  assert.is(object.spec.paused, false);
  assert.is(object.spec.removalPolicy, 'Delete');
  const c = object.spec.containers[0];
  assert.is(c.state, 'Running');
  assert.is(c.restartPolicy, 'UnlessStopped');
  assert.is(c.network, 'bridge');
  assert.is(c.stopTimeoutSeconds, 10);
  assert.is(c.imagePullPolicy, undefined, 'pull policy is derived from the tag, not defaulted');
  assert.equal(c.logging, { maxSize: '10Mi', maxFiles: 3 });
  assert.equal(c.ports[0], { containerPort: 80, protocol: 'TCP' });
  assert.equal(c.healthcheck, { exec: ['true'], intervalSeconds: 30, timeoutSeconds: 30, retries: 3, startPeriodSeconds: 0 });
});

test('validation never mutates its input', () => {
  const doc = { apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: { name: 'box' }, spec: {} };
  const before = JSON.stringify(doc);
  validator.validate(doc);
  assert.is(JSON.stringify(doc), before);
});

test('errors name the exact field of a policy violation', () => {
  const { issues } = validator.validate({
    apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost', metadata: { name: 'box' },
    spec: { policy: { allowedHostPaths: ['/srv'] }, containers: [
      { name: 'a', image: 'x' },
      { name: 'b', image: 'x', volumes: [{ volume: 'v', mountPath: '/v' }, { hostPath: '/etc', mountPath: '/e' }] }] },
  });
  assert.equal(issues.map((i) => formatPath(i.path)), ['spec.containers[1].volumes[1].hostPath']);
  assert.match(issues[0]!.message, 'allowedHostPaths');
  assert.match(issues[0]!.message, '"/etc" (allowed: /srv)');
});

test('unknown apiVersion or kind in berth.dev is an error naming the known kinds', () => {
  const { issues } = validator.validate({ apiVersion: 'berth.dev/v1', kind: 'ContainerHost', metadata: { name: 'x' }, spec: {} });
  assert.is(issues.length, 1);
  assert.match(issues[0]!.message, 'known: berth.dev/v1alpha1 AgentToken, berth.dev/v1alpha1 ContainerHost');
});

test('every CEL rule in crds/ has a TypeScript twin, and every twin a rule', () => {
  const messages = new Set<string>();
  const visit = (node: SchemaNode): void => {
    for (const rule of node['x-kubernetes-validations'] ?? []) messages.add(rule.message);
    Object.values(node.properties ?? {}).forEach(visit);
    if (node.items) visit(node.items);
  };
  for (const kind of loadResourceKinds()) visit(kind.crdSchema);
  assert.equal([...messages].sort(), Object.keys(RULE_TWINS).sort());
});

test('every field in the CRD schemas has a description', () => {
  const missing: string[] = [];
  const visit = (node: SchemaNode, path: string): void => {
    // The apiserver forbids anything but name/generateName constraints on metadata, descriptions included.
    if (!node.description && path !== '' && !path.endsWith('.metadata')) missing.push(path);
    for (const [key, child] of Object.entries(node.properties ?? {})) visit(child, `${path}.${key}`);
    if (node.items) visit(node.items, `${path}[]`);
  };
  for (const kind of loadResourceKinds()) visit(kind.crdSchema, kind.kind);
  assert.equal(missing, []);
});

test('issues carry file, document, kind/namespace/name and the line of the field', () => {
  const text = [
    'apiVersion: v1', 'kind: Namespace', 'metadata: { name: games }', '---',
    'apiVersion: berth.dev/v1alpha1', 'kind: ContainerHost', 'metadata: { name: box-1, namespace: games }',
    'spec:', '  containers:', '  - name: web', '    image: nginx', '    state: Paused', '',
  ].join('\n');
  const reports = parseManifestText(text, 'hosts.yaml').map((d) => checkDocument(d, validator));
  assert.is(reports[0]!.status, 'skipped');
  const r = reports[1]!;
  assert.is(r.status, 'invalid');
  assert.equal([r.file, r.index, r.kind, r.namespace, r.name], ['hosts.yaml', 2, 'ContainerHost', 'games', 'box-1']);
  assert.equal(r.issues, [{ path: 'spec.containers[0].state', line: 12, message: 'must be one of: Running, Stopped' }]);
});

test('YAML errors and duplicate keys are reported with their line', () => {
  const dup = parseManifestText('apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nkind: AgentToken\n', 'dup.yaml');
  assert.is(dup[0]!.parseError?.line, 3);
  const broken = parseManifestText('a: [1, 2\n', 'broken.yaml').map((d) => checkDocument(d, validator));
  assert.is(broken[0]!.status, 'invalid');
  assert.match(broken[0]!.issues[0]!.message, /^YAML: /);
});

test('empty documents are ignored', () => {
  assert.is(parseManifestText('---\n---\n', 'e.yaml').length, 0);
  assert.is(parseManifestText('', 'e.yaml').length, 0);
});

test.run();
