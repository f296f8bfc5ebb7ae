// Every example directory is valid for `berth validate` and is really applied to the apiserver.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { berth, installCrds } from '../support/berth.js';
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

test('examples/gitops and examples/kubernetes apply to the real apiserver', async () => {
  try {
    for (const example of ['gitops', 'kubernetes']) {
      const applied = await kubectl(['apply', '-R', '-f', join(repoRoot, 'examples', example)]);
      assert.is(applied.code, 0, `${example}: ${applied.stderr}`);
    }
    const hosts = (await kubectl(['get', 'ch', '-A', '-o', 'name'], { check: true })).stdout;
    for (const h of ['box-1', 'box-2', 'edge-1', 'demo']) assert.match(hosts, `containerhost.berth.dev/${h}`);
  } finally {
    for (const ns of ['games', 'edge', 'berth-demo']) await deleteTestNamespace(ns);
  }
});

test('examples/local applies to the real apiserver', async () => {
  const file = join(repoRoot, 'examples/local');
  try {
    const applied = await kubectl(['apply', '-R', '-f', file]);
    assert.is(applied.code, 0, applied.stderr);
    const got = JSON.parse((await kubectl(['-n', 'default', 'get', 'ch', 'local', '-o', 'json'], { check: true })).stdout);
    assert.equal(got.spec.containers.map((c: { name: string }) => c.name), ['clock', 'ticker', 'web']);
  } finally {
    await kubectl(['delete', '-R', '-f', file, '--ignore-not-found', '--wait=false']);
  }
});

test('examples/apps/web-pair (networks, a files volume, dependsOn) applies to the real apiserver', async () => {
  const dir = join(repoRoot, 'examples/apps/web-pair');
  try {
    const applied = await kubectl(['apply', '-R', '-f', dir]);
    assert.is(applied.code, 0, applied.stderr);
    const got = JSON.parse((await kubectl(['-n', 'default', 'get', 'ch', 'web-pair', '-o', 'json'], { check: true })).stdout);
    assert.equal(got.spec.networks.map((n: { name: string }) => n.name), ['web-pair']);
    assert.equal(got.spec.containers[1].dependsOn, [{ name: 'web-pair-web', condition: 'Healthy' }]);
  } finally {
    await kubectl(['delete', '-R', '-f', dir, '--ignore-not-found', '--wait=false']);
  }
});

test.run();
