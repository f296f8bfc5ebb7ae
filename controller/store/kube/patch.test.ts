import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addFinalizerOps, applyMergePatch, jsonEqual, mergePatchDiff, removeFinalizerOps, statusPatchBody } from './patch.js';

const status = {
  observedGeneration: 3,
  ready: '1/2',
  agent: { connected: true, hostname: 'box-1', version: '0.1.0', cpus: 4 },
  containers: [{ name: 'web', state: 'Running', ready: true }, { name: 'db', state: 'Pending', ready: false, message: 'pulling' }],
  conditions: [{ type: 'Ready', status: 'False', reason: 'NotReady', message: 'db', lastTransitionTime: '2025-01-01T00:00:00Z' }],
};

test('merge patch diff: equal → empty; changed scalars; nested objects recursively; arrays whole', () => {
  assert.equal(mergePatchDiff(status, structuredClone(status)), {});
  const next = structuredClone(status);
  next.ready = '2/2';
  next.agent.cpus = 8;
  next.containers[1]!.state = 'Running';
  assert.equal(mergePatchDiff(status, next), {
    ready: '2/2',
    agent: { cpus: 8 },
    containers: next.containers,
  });
});

test('merge patch diff: removed keys become null at every level (stale fields never linger)', () => {
  const next = { observedGeneration: 4, agent: { connected: false } };
  const patch = mergePatchDiff(status, next);
  assert.equal(patch, {
    observedGeneration: 4, ready: null, containers: null, conditions: null,
    agent: { connected: false, hostname: null, version: null, cpus: null },
  });
  assert.equal(applyMergePatch(status, patch), next, 'applying the patch yields exactly the new status');
});

test('merge patch diff: undefined and null members count as absent; new objects are sent whole', () => {
  assert.equal(mergePatchDiff({ a: 1, b: undefined }, { a: 1, c: undefined }), {});
  assert.equal(mergePatchDiff({ a: 1 }, { a: null }), { a: null });
  assert.equal(mergePatchDiff(undefined, { agent: { connected: true, hostname: 'h' } }), { agent: { connected: true, hostname: 'h' } });
  // object → scalar and scalar → object
  assert.equal(mergePatchDiff({ a: { x: 1 } }, { a: 's' }), { a: 's' });
  assert.equal(mergePatchDiff({ a: 's' }, { a: { x: 1 } }), { a: { x: 1 } });
  // array order matters, key order does not
  assert.equal(mergePatchDiff({ l: [1, 2] }, { l: [2, 1] }), { l: [2, 1] });
  assert.equal(mergePatchDiff({ o: { a: 1, b: 2 } }, { o: { b: 2, a: 1 } }), {});
});

test('merge patch diff round-trips through RFC 7386 apply for many shapes', () => {
  const shapes: Array<Record<string, unknown>> = [
    {}, status, { agent: {} }, { agent: { connected: true } }, { conditions: [] }, { a: { b: { c: { d: 1 } } } },
    { a: { b: { c: { e: 2 } } }, z: true }, { ready: '0/0', agent: { connected: false, lastSeenAt: '2025-01-01T00:00:00Z' } },
  ];
  for (const from of shapes) for (const to of shapes) {
    const result = applyMergePatch(from, mergePatchDiff(from, to));
    assert.ok(jsonEqual(result, to), `${JSON.stringify(from)} → ${JSON.stringify(to)} gave ${JSON.stringify(result)}`);
  }
});

test('status patch body: diff under status, resourceVersion as precondition', () => {
  assert.equal(statusPatchBody({ ready: '1/1', observedGeneration: 1 }, { observedGeneration: 2 }, '42'), {
    status: { ready: null, observedGeneration: 2 }, metadata: { resourceVersion: '42' },
  });
  assert.equal(statusPatchBody(undefined, { ready: '0/1' }, undefined), { status: { ready: '0/1' } });
});

test('finalizer ops: add tests the exact list and appends; none yet → resourceVersion precondition; present → nothing', () => {
  assert.equal(addFinalizerOps(['example.com/a', 'example.com/b'], 'berth.dev/cleanup', '7'), [
    { op: 'test', path: '/metadata/finalizers', value: ['example.com/a', 'example.com/b'] },
    { op: 'add', path: '/metadata/finalizers/-', value: 'berth.dev/cleanup' },
  ]);
  assert.equal(addFinalizerOps(undefined, 'berth.dev/cleanup', '7'), [
    { op: 'test', path: '/metadata/resourceVersion', value: '7' },
    { op: 'add', path: '/metadata/finalizers', value: ['berth.dev/cleanup'] },
  ]);
  assert.equal(addFinalizerOps([], 'berth.dev/cleanup', '8')?.[0], { op: 'test', path: '/metadata/resourceVersion', value: '8' });
  assert.is(addFinalizerOps(['x', 'berth.dev/cleanup'], 'berth.dev/cleanup', '7'), undefined);
  assert.throws(() => addFinalizerOps(undefined, 'berth.dev/cleanup', undefined), /resourceVersion/);
});

test('finalizer ops: remove tests the exact list and removes only ours, by index', () => {
  assert.equal(removeFinalizerOps(['a', 'berth.dev/cleanup', 'b'], 'berth.dev/cleanup'), [
    { op: 'test', path: '/metadata/finalizers', value: ['a', 'berth.dev/cleanup', 'b'] },
    { op: 'remove', path: '/metadata/finalizers/1' },
  ]);
  assert.is(removeFinalizerOps(['a'], 'berth.dev/cleanup'), undefined);
  assert.is(removeFinalizerOps(undefined, 'berth.dev/cleanup'), undefined);
});

test.run();
