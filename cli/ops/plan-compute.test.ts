// berth plan's decisions on made-up observed states: what the real planner does, named as changes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { HostView, ObservedHostView } from '../../protocol/api-views.js';
import type { ContainerDecl, ContainerHost } from '../../controller/api/types.js';
import { resolveContainer } from '../../controller/reconcile/resolve.js';
import { hostWith, seen } from '../../controller/reconcile/test-fixtures.js';
import { changedFields, planHost } from './plan-compute.js';

const view = (h: ContainerHost): HostView => ({ metadata: { ...h.metadata }, spec: h.spec, status: {} });
const hashOf = (d: ContainerDecl) => { const r = resolveContainer(d, 'ns', () => undefined); if (!r.ok) throw new Error(r.message); return r.spec.specHash; };
/** The agent runs exactly what LIVE declares. */
function observedFor(live: ContainerHost, extra: Partial<ObservedHostView> = {}): ObservedHostView {
  const decls = live.spec.containers ?? [];
  return {
    namespace: 'ns', name: 'h', generation: 1, canAct: true,
    containers: decls.filter((d) => !d.env?.some((e) => e.valueFrom)).map((d) => seen(d.name, { specHash: hashOf(d) })),
    desired: decls.filter((d) => !d.env?.some((e) => e.valueFrom)).map((d) => ({ name: d.name, specHash: hashOf(d) })),
    unresolved: [], inFlight: [], backingOff: [], ...extra,
  };
}
const kinds = (p: ReturnType<typeof planHost>) => p.changes.map((c) => `${c.kind} ${c.container}`);
const none = new Map();

test('unchanged → nothing; added → create; image → recreate with the field; removed → remove', () => {
  const live = hostWith(['a', 'b']);
  const observed = observedFor(live);
  assert.equal(kinds(planHost({ manifest: live, live: view(live), observed, localSecrets: none })), []);
  assert.equal(kinds(planHost({ manifest: hostWith(['a', 'b', 'c']), live: view(live), observed, localSecrets: none })), ['create c']);
  const image = hostWith(['a', 'b']);
  image.spec.containers![0]!.image = 'busybox:2';
  const p = planHost({ manifest: image, live: view(live), observed, localSecrets: none });
  assert.equal(kinds(p), ['recreate a']);
  assert.equal(p.changes[0]!.fields, ['image busybox:1 → busybox:2']);
  assert.equal(kinds(planHost({ manifest: hostWith(['a']), live: view(live), observed, localSecrets: none })), ['remove b']);
  assert.equal(kinds(planHost({ manifest: hostWith(['a'], { removalPolicy: 'Orphan' }), live: view(live), observed, localSecrets: none })), ['orphan b']);
});

test('state Stopped → stop (no recreate); paused → nothing, with a note', () => {
  const live = hostWith(['a']);
  const stopped = hostWith(['a']);
  stopped.spec.containers![0]!.state = 'Stopped';
  assert.equal(kinds(planHost({ manifest: stopped, live: view(live), observed: observedFor(live), localSecrets: none })), ['stop a']);
  const paused = planHost({ manifest: hostWith(['a', 'b'], { paused: true }), live: view(live), observed: observedFor(live), localSecrets: none });
  assert.equal(kinds(paused), []);
  assert.match(paused.notes.join('\n'), /spec.paused is true/);
});

test('env: changed names only, never values', () => {
  const before = hostWith(['a']).spec.containers![0]!;
  const after = { ...before, env: [{ name: 'X', value: 'secret-ish' }] };
  assert.equal(changedFields({ ...before, env: [{ name: 'X', value: 'one' }, { name: 'Y', value: '1' }] }, after), ['env X changed, Y removed']);
});

test('Secret env: the controller\'s hash when unchanged, local Secret when given, else may-change', () => {
  const live = hostWith(['a']);
  live.spec.containers![0]!.env = [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
  const secret = { namespace: 'ns', name: 's', type: 'Opaque', data: { k: Buffer.from('v') } };
  const hash = (resolveContainer(live.spec.containers![0]!, 'ns', () => secret) as { ok: true; spec: { specHash: string } }).spec.specHash;
  const observed = observedFor(live, { containers: [seen('a', { specHash: hash })], desired: [{ name: 'a', specHash: hash }] });
  assert.equal(kinds(planHost({ manifest: live, live: view(live), observed, localSecrets: none })), []);
  const changed = hostWith(['a']);
  changed.spec.containers![0]!.env = [{ name: 'P', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
  changed.spec.containers![0]!.image = 'busybox:2';
  const may = planHost({ manifest: changed, live: view(live), observed, localSecrets: none });
  assert.equal(kinds(may), ['may-change a']);
  assert.match(may.changes[0]!.detail, /may be recreated: depends on Secret ns\/s/);
  assert.equal(kinds(planHost({ manifest: changed, live: view(live), observed, localSecrets: new Map([['ns/s', secret]]) })), ['recreate a']);
  // Unresolved now and unchanged: left as it is, never removed.
  const unresolved = planHost({ manifest: live, live: view(live), observed: { ...observed, desired: [], unresolved: [{ name: 'a', message: 'SecretNotFound: env P: Secret ns/s not found' }] }, localSecrets: none });
  assert.equal(kinds(unresolved), []);
  assert.match(unresolved.notes.join('\n'), /a: unresolved .*SecretNotFound/);
});

test('envFrom and files volumes: a ConfigMap or Secret unseen → may-change naming it; given in the files → exact', () => {
  const live = hostWith(['a']);
  const observed = observedFor(live);
  const changed = hostWith(['a']);
  changed.spec.containers![0]!.envFrom = [{ configMapRef: { name: 'cm' } }];
  changed.spec.containers![0]!.volumes = [{ mountPath: '/etc/x', readOnly: true, files: { secret: 'tls' } }];
  const may = planHost({ manifest: changed, live: view(live), observed, localSecrets: none });
  assert.equal(kinds(may), ['may-change a']);
  assert.match(may.changes[0]!.detail, /depends on ConfigMap ns\/cm, Secret ns\/tls/);
  const exact = planHost({ manifest: changed, live: view(live), observed,
    localSecrets: new Map([['ns/tls', { namespace: 'ns', name: 'tls', type: 'Opaque', data: { 'tls.crt': Buffer.from('x') } }]]),
    localConfigMaps: new Map([['ns/cm', { namespace: 'ns', name: 'cm', data: { K: Buffer.from('v') } }]]) });
  assert.equal(kinds(exact), ['recreate a']);
});

test('dependsOn problems hold a container back, and say so', () => {
  const live = hostWith(['a']);
  const m = hostWith(['a', 'b']);
  m.spec.containers![1]!.dependsOn = [{ name: 'nope', condition: 'Started' }];
  const p = planHost({ manifest: m, live: view(live), observed: observedFor(live), localSecrets: none });
  assert.equal(kinds(p), []);
  assert.match(p.notes.join('\n'), /b: .*nope.*held back/);
});

test('a new host: everything created, with a note that its agent must connect', () => {
  const p = planHost({ manifest: hostWith(['a', 'b']), live: undefined, observed: undefined, localSecrets: none });
  assert.ok(p.new);
  assert.equal(kinds(p), ['create a', 'create b']);
  assert.match(p.notes.join('\n'), /its agent connects/);
});

test.run();
