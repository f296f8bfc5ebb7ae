// Every example directory is valid for `berth validate` and is really applied to the apiserver.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { berth, installCrds } from '../support/berth.js';
import { uniqueExample, type UniqueExample } from '../support/examples.js';
import { deleteTestNamespace, kubectl } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';

test.before(async () => { await installCrds(); });

for (const example of ['local', 'gitops', 'kubernetes', 'apps/web-pair']) {
  test(`examples/${example} passes berth validate`, async () => {
    const result = await berth(['validate', join(repoRoot, 'examples', example)]);
    assert.is(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, / 0 invalid/);
    assert.not.match(result.stdout, / 0 valid/);
  });
}

// Applied under this run's own namespaces (test/support/examples.ts): the examples name fixed ones
// (games, edge, berth-demo, default) that other files and other runs use too.
const id = randomBytes(3).toString('hex');

test('examples/gitops and examples/kubernetes apply to the real apiserver', async () => {
  const examples = ['gitops', 'kubernetes'].map((e) => uniqueExample(join(repoRoot, 'examples', e), id));
  try {
    for (const example of examples) {
      const applied = await kubectl(['apply', '-f', '-'], { input: example.yaml });
      assert.is(applied.code, 0, applied.stderr);
    }
    const [gitops, kube] = examples as [UniqueExample, UniqueExample];
    for (const [ex, ns, h] of [[gitops, 'games', 'box-1'], [gitops, 'games', 'box-2'], [gitops, 'edge', 'edge-1'], [kube, 'berth-demo', 'demo']] as const) {
      const r = await kubectl(['-n', ex.namespace(ns), 'get', 'ch', h, '-o', 'name']);
      assert.is(r.stdout.trim(), `containerhost.berth.dev/${h}`, `${ns}/${h}: ${r.stderr}`);
    }
  } finally {
    for (const ns of examples.flatMap((e) => e.namespaces)) await deleteTestNamespace(ns);
  }
});

test('examples/local applies to the real apiserver', async () => {
  const example = uniqueExample(join(repoRoot, 'examples/local'), id);
  try {
    const applied = await kubectl(['apply', '-f', '-'], { input: example.yaml });
    assert.is(applied.code, 0, applied.stderr);
    const got = JSON.parse((await kubectl(['-n', example.namespace('default'), 'get', 'ch', 'local', '-o', 'json'], { check: true })).stdout);
    assert.equal(got.spec.containers.map((c: { name: string }) => c.name), ['clock', 'ticker', 'web'].map(example.container));
  } finally {
    for (const ns of example.namespaces) await deleteTestNamespace(ns);
  }
});

test('examples/apps/web-pair (networks, a files volume, dependsOn) applies to the real apiserver', async () => {
  const example = uniqueExample(join(repoRoot, 'examples/apps/web-pair'), id);
  try {
    const applied = await kubectl(['apply', '-f', '-'], { input: example.yaml });
    assert.is(applied.code, 0, applied.stderr);
    const got = JSON.parse((await kubectl(['-n', example.namespace('default'), 'get', 'ch', 'web-pair', '-o', 'json'], { check: true })).stdout);
    assert.equal(got.spec.networks.map((n: { name: string }) => n.name), ['web-pair']);
    assert.equal(got.spec.containers[1].dependsOn, [{ name: example.container('web-pair-web'), condition: 'Healthy' }]);
  } finally {
    for (const ns of example.namespaces) await deleteTestNamespace(ns);
  }
});

test.run();
