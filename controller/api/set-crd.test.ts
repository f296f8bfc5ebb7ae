// The ContainerSet CRD shares the ContainerHost container schema (one definition: CRDs cannot
// $ref, so test/tools/sync-set-crd.ts copies it and this test fails while the copy differs), and
// the validator treats a set's template like a host's containers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import YAML from 'yaml';
import { packageRoot } from '../package-root.js';
import { ResourceValidator, formatPath } from './validate.js';

const load = (f: string) => YAML.parse(readFileSync(join(packageRoot, 'crds', f), 'utf8'));
const schemaOf = (crd: { spec: { versions: Array<{ schema: { openAPIV3Schema: { properties: { spec: { properties: Record<string, unknown> } } } } }> } }) =>
  crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties;

test('spec.template.containers.items is exactly the ContainerHost container schema', () => {
  const hostItems = (schemaOf(load('containerhosts.yaml')).containers as { items: unknown }).items;
  const setItems = ((schemaOf(load('containersets.yaml')).template as { properties: { containers: { items: unknown } } }).properties.containers.items);
  assert.equal(setItems, hostItems, 'run: npm run build && node dist/test/tools/sync-set-crd.js');
});

const validator = new ResourceValidator();
const set = (spec: Record<string, unknown>) => ({ apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerSet', metadata: { name: 'edge', namespace: 'fleet' }, spec });
const issues = (doc: unknown) => validator.validate(doc).issues.map((i) => `${formatPath(i.path)}: ${i.message}`);

test('a minimal set validates and gets the defaults', () => {
  const r = validator.validate<{ spec: Record<string, unknown> }>(set({ hostSelector: { matchLabels: { tier: 'edge' } }, template: { containers: [{ name: 'web', image: 'nginx:1.27' }] } }));
  assert.equal(r.issues, []);
  assert.equal(r.object.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, minReadySeconds: 0 }, failurePolicy: 'Rollback', progressDeadlineSeconds: 600 });
  assert.is(r.object.spec.paused, false);
  assert.is(r.object.spec.revisionHistoryLimit, 10);
  const c = (r.object.spec.template as { containers: Array<Record<string, unknown>> }).containers[0]!;
  assert.is(c.state, 'Running');
});

test('bad sets are refused with the field named', () => {
  const bad = issues(set({
    hostSelector: { matchExpressions: [{ key: 'tier', operator: 'In' }, { key: 'x', operator: 'Exists', values: ['a'] }] },
    template: { containers: [{ name: 'web', image: 'nginx', dependsOn: [{ name: 'db', condition: 'Started' }] }, { name: 'web', image: 'nginx' }] },
    updateStrategy: { rollingUpdate: { maxUnavailable: '0%' }, failurePolicy: 'Retry' },
  }));
  const want = [
    'spec.hostSelector.matchExpressions[0].values: In and NotIn need values; Exists and DoesNotExist take none',
    'spec.hostSelector.matchExpressions[1].values: In and NotIn need values; Exists and DoesNotExist take none',
    'spec.updateStrategy.rollingUpdate.maxUnavailable: must be a count of at least 1 or a percent from 1% to 100%',
    'spec.updateStrategy.failurePolicy: must be one of: Rollback, Pause',
    'spec.template.containers[1]: duplicate entry: name="web" appears more than once',
  ];
  for (const w of want) assert.ok(bad.includes(w), `missing "${w}" in:\n${bad.join('\n')}`);
  assert.ok(bad.some((i) => i.startsWith('spec.template.containers[0].dependsOn: dependsOn must name another container')), bad.join('\n'));
  assert.ok(issues(set({ template: { containers: [] } })).some((i) => i.startsWith('spec.hostSelector')));
});

test.run();
