// KubeStore and ContainerHosts: informers, status through the /status subresource (merge patch), 409 retries, finalizers next to other parties', Events with aggregation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RequestRecord } from '../../controller/store/kube/kube-store.js';
import type { ContainerHostStatus } from '../../controller/api/types.js';
import { canonicalJson } from '../../controller/lib/canonical-json.js';
import { applyYaml, kubectl } from '../support/kube.js';
import { allChanges, eventsFor, getJson, hostYaml, logLines, newStore, ns, requests, startKubeStore, stopKubeStores, store, waitFor } from './kube-store-bed.js';

test.before(startKubeStore);

test.after(stopKubeStores);

test('a host applied with kubectl appears in hosts(), mapped with uid/generation/defaults, and emits an event', async () => {
  await applyYaml(hostYaml('box-1'));
  const key = `${ns}/box-1`;
  const host = await waitFor('box-1 in the store', () => store.host(key));
  const live = await getJson(['get', 'ch', 'box-1', '-n', ns]);
  assert.is(host.metadata.uid, live.metadata.uid);
  assert.is(host.metadata.generation, 1);
  assert.is(host.metadata.resourceVersion, live.metadata.resourceVersion);
  assert.is(host.spec.removalPolicy, 'Delete', 'defaults applied by the apiserver');
  assert.is(host.spec.containers![0]!.state, 'Running');
  assert.ok(store.hosts().some((h) => h.metadata.name === 'box-1'));
  await waitFor('an add event', () => eventsFor('ContainerHost', key) >= 1);
  assert.equal(store.problems(), []);
});

test('a spec edit emits an event and bumps generation; a label edit emits too', async () => {
  const key = `${ns}/box-1`;
  await waitFor('box-1', () => store.host(key));
  const before = eventsFor('ContainerHost', key);
  await applyYaml(hostYaml('box-1', 'nginx:1.28'));
  const host = await waitFor('generation 2', () => store.host(key)?.metadata.generation === 2 && store.host(key));
  assert.is(host.spec.containers![0]!.image, 'nginx:1.28');
  await waitFor('an update event', () => eventsFor('ContainerHost', key) > before);
  const afterSpec = eventsFor('ContainerHost', key);
  await kubectl(['label', 'ch', 'box-1', '-n', ns, 'team=blue'], { check: true });
  await waitFor('the label', () => store.host(key)?.metadata.labels?.team === 'blue');
  await waitFor('an event for the label', () => eventsFor('ContainerHost', key) > afterSpec);
  assert.is(store.host(key)!.metadata.generation, 2, 'metadata edits do not bump generation');
});

test('writeHostStatus replaces the status through /status with a merge patch; removed fields disappear; no self-event', async () => {
  await applyYaml(hostYaml('box-2'));
  const key = `${ns}/box-2`;
  await waitFor('box-2', () => store.host(key));
  const full: ContainerHostStatus = {
    observedGeneration: 1, ready: '0/1',
    agent: { connected: true, hostname: 'node-a', version: '0.1.0', cpus: 4 },
    containers: [{ name: 'web', state: 'Pending', ready: false, message: 'pulling' }],
    conditions: [{ type: 'Ready', status: 'False', reason: 'NotReady', message: 'web pending', lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 }],
  };
  requests.length = 0;
  const heard = () => allChanges.filter((e) => e.kind === 'ContainerHost' && e.key === key).length - eventsFor('ContainerHost', key);
  const heardBefore = heard();
  await store.writeHostStatus(key, full);
  const statusWrites = requests.filter((r) => r.method === 'PATCH' && r.url.includes(`/namespaces/${ns}/containerhosts/box-2/status`));
  assert.is(statusWrites.length, 1, JSON.stringify(requests));
  assert.is(statusWrites[0]!.contentType, 'application/merge-patch+json', 'the header as sent, not the generator\'s JSON Patch default');
  assert.equal((await getJson(['get', 'ch', 'box-2', '-n', ns])).status, full);
  assert.equal(store.host(key)!.status, full, 'the cache sees the write at once');

  // Replace with less: everything not in the new status must be gone (a plain merge would keep it).
  // The body carries nulls — JSON Patch (an array) could not express this object at all.
  const less: ContainerHostStatus = { observedGeneration: 2, agent: { connected: false } };
  await store.writeHostStatus(key, less);
  const live = await getJson(['get', 'ch', 'box-2', '-n', ns]);
  assert.equal(live.status, less);
  assert.equal(store.host(key)!.status, less);
  // watchAll() hears what subscribe() hears plus each of our status writes, once. (Not asserted
  // here: a watch event for our write can beat the PATCH response, and is then taken for someone
  // else's status — one extra subscribe() event, as before the shared cache.)
  assert.is(heard(), heardBefore + 2, 'watchAll() hears each of our status writes once, beyond what subscribe() hears');

  // Our own status writes do not come back as events (no write → event → reconcile loop), but
  // a later real change does; the watch delivers in order, so the label event comes after both.
  const before = eventsFor('ContainerHost', key);
  await kubectl(['label', 'ch', 'box-2', '-n', ns, 'x=1'], { check: true });
  await waitFor('the label event', () => eventsFor('ContainerHost', key) > before);
  // A second label, waited for too: the watch delivers in order, so anything our status writes had
  // caused would be here by now (observed, instead of sleeping and hoping).
  await kubectl(['label', 'ch', 'box-2', '-n', ns, 'y=1'], { check: true });
  await waitFor('the second label event', () => store.host(key)?.metadata.labels?.['y'] === '1' && eventsFor('ContainerHost', key) >= before + 2);
  assert.is(eventsFor('ContainerHost', key), before + 2, 'exactly two events: the labels, none for our status writes');
});

test('status written by someone else emits an event, and our next write removes its stale fields even from a stale cache', async () => {
  const key = `${ns}/box-2`;
  await waitFor('box-2', () => store.host(key));
  const before = eventsFor('ContainerHost', key);
  await kubectl(['patch', 'ch', 'box-2', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"ready":"9/9","agent":{"hostname":"intruder"}}}'], { check: true });
  // Write at once, possibly before the informer has seen the foreign write: the resourceVersion
  // precondition turns a stale diff into a 409, the store re-reads and recomputes.
  const mine: ContainerHostStatus = { observedGeneration: 3, agent: { connected: true } };
  await store.writeHostStatus(key, mine);
  assert.equal((await getJson(['get', 'ch', 'box-2', '-n', ns])).status, mine);
  await waitFor('an event for the foreign status write', () => eventsFor('ContainerHost', key) > before);
  await waitFor('the cache settles on our status', () => canonicalJson(store.host(key)!.status) === canonicalJson(mine));
});

test('a stale status base conflicts (409) and Berth retries: re-reads, recomputes the diff, writes', async () => {
  await applyYaml(hostYaml('box-c'));
  const key = `${ns}/box-c`;
  await waitFor('box-c', () => store.host(key));
  // A store whose cache is frozen (its informers stopped), so its copy is stale for certain.
  const staleRequests: RequestRecord[] = [];
  const stale = newStore({ onRequest: (r) => staleRequests.push(r) });
  await stale.start();
  await stale.stop();
  assert.ok(stale.host(key), 'the frozen cache still holds box-c');
  await kubectl(['patch', 'ch', 'box-c', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"ready":"7/7","agent":{"hostname":"someone-else"}}}'], { check: true });
  const mine: ContainerHostStatus = { observedGeneration: 4, agent: { connected: false } };
  staleRequests.length = 0;
  await stale.writeHostStatus(key, mine);
  // The first PATCH carried the stale resourceVersion (409); then a GET and a second PATCH.
  const calls = staleRequests.map((r) => `${r.method} ${r.url.endsWith('/status') ? 'status' : 'object'}`);
  assert.equal(calls, ['PATCH status', 'GET object', 'PATCH status'], JSON.stringify(staleRequests));
  assert.ok(logLines.some((l) => l.includes('status write conflicted; re-reading')), 'logged the conflict');
  // Recomputed against the fresh object: the fields someone else wrote are removed, not kept.
  assert.equal((await getJson(['get', 'ch', 'box-c', '-n', ns])).status, mine);
});

test('ensureFinalizer/removeFinalizer keep other parties\' finalizers (order too); removal lets a deleted host go', async () => {
  await applyYaml(hostYaml('box-3', 'nginx:1.27', '  finalizers: ["example.com/first"]\n'));
  const key = `${ns}/box-3`;
  await waitFor('box-3', () => store.host(key));
  requests.length = 0;
  await store.ensureFinalizer(key);
  assert.equal((await getJson(['get', 'ch', 'box-3', '-n', ns])).metadata.finalizers, ['example.com/first', 'berth.dev/cleanup']);
  assert.equal(requests.filter((r) => r.method === 'PATCH').map((r) => r.contentType), ['application/json-patch+json']);
  await store.ensureFinalizer(key);   // idempotent
  assert.equal((await getJson(['get', 'ch', 'box-3', '-n', ns])).metadata.finalizers, ['example.com/first', 'berth.dev/cleanup']);

  // Another party appends its finalizer; we remove ours right away (our cache may still be stale:
  // the test op on the exact list fails, the store re-reads and retries).
  await kubectl(['patch', 'ch', 'box-3', '-n', ns, '--type=json', '-p', '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/last"}]'], { check: true });
  await kubectl(['delete', 'ch', 'box-3', '-n', ns, '--wait=false'], { check: true });
  await store.removeFinalizer(key);
  const after = await getJson(['get', 'ch', 'box-3', '-n', ns]);
  assert.equal(after.metadata.finalizers, ['example.com/first', 'example.com/last']);
  assert.ok(after.metadata.deletionTimestamp);
  await waitFor('the store sees the deletion timestamp', () => store.host(key)?.metadata.deletionTimestamp);
  await kubectl(['patch', 'ch', 'box-3', '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}'], { check: true });
  await waitFor('box-3 gone from the store', () => !store.host(key));

  // Only ours: removing it lets the host go.
  await applyYaml(hostYaml('box-4'));
  const key4 = `${ns}/box-4`;
  await waitFor('box-4', () => store.host(key4));
  await store.ensureFinalizer(key4);
  await kubectl(['delete', 'ch', 'box-4', '-n', ns, '--wait=false'], { check: true });
  await waitFor('box-4 terminating', () => store.host(key4)?.metadata.deletionTimestamp);
  const before = eventsFor('ContainerHost', key4);
  await store.ensureFinalizer(key4);   // no new finalizer on a terminating object (and no error)
  await store.removeFinalizer(key4);
  await waitFor('box-4 gone from the store', () => !store.host(key4));
  await waitFor('a delete event', () => eventsFor('ContainerHost', key4) > before);
  const gone = await kubectl(['get', 'ch', 'box-4', '-n', ns]);
  assert.match(gone.stderr, /NotFound/);
  await store.removeFinalizer(key4);   // gone: nothing to do
});

test('writes based on a stale cache (a stopped store) hit the preconditions, re-read and retry — nothing foreign is lost', async () => {
  await applyYaml(hostYaml('box-5'));
  const key = `${ns}/box-5`;
  // The store writes only hosts its watch has delivered; kubectl returning does not mean it has.
  await waitFor('box-5 in the store', () => store.host(key) !== undefined);
  await store.writeHostStatus(key, { observedGeneration: 1, ready: '0/1' });
  const stale = newStore();
  await stale.start();
  await waitFor('box-5 in the second store', () => stale.host(key)?.status?.ready === '0/1');
  await stale.stop();   // its cache stays as it is now: it will not see what follows
  const logStart = logLines.length;

  // status: someone adds a field; a diff against the stale copy would not null it — the
  // resourceVersion precondition fails (409) and the store recomputes from a fresh read.
  await kubectl(['patch', 'ch', 'box-5', '-n', ns, '--subresource=status', '--type=merge', '-p', '{"status":{"agent":{"hostname":"foreign"}}}'], { check: true });
  await stale.writeHostStatus(key, { observedGeneration: 2 });
  assert.equal((await getJson(['get', 'ch', 'box-5', '-n', ns])).status, { observedGeneration: 2 });

  // finalizers: the cache has none; another party adds one → our resourceVersion test fails.
  await kubectl(['patch', 'ch', 'box-5', '-n', ns, '--type=json', '-p', '[{"op":"add","path":"/metadata/finalizers","value":["example.com/a"]}]'], { check: true });
  await stale.ensureFinalizer(key);
  assert.equal((await getJson(['get', 'ch', 'box-5', '-n', ns])).metadata.finalizers, ['example.com/a', 'berth.dev/cleanup']);

  // removal from a stale list: the exact-list test fails, re-read, only ours goes.
  await kubectl(['patch', 'ch', 'box-5', '-n', ns, '--type=json', '-p', '[{"op":"add","path":"/metadata/finalizers/0","value":"example.com/z"}]'], { check: true });
  await stale.removeFinalizer(key);
  assert.equal((await getJson(['get', 'ch', 'box-5', '-n', ns])).metadata.finalizers, ['example.com/z', 'example.com/a']);

  const log = logLines.slice(logStart).join('');
  assert.match(log, /status write conflicted; re-reading/);
  assert.ok((log.match(/finalizer patch precondition failed; re-reading/g) ?? []).length >= 2, log);
  await kubectl(['patch', 'ch', 'box-5', '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}'], { check: true });
});

test('recordEvent writes core/v1 Events and aggregates repeats into a count', async () => {
  const key = `${ns}/box-1`;
  const host = await waitFor('box-1', () => store.host(key));
  for (let i = 0; i < 3; i++) store.recordEvent('ContainerHost', key, { type: 'Warning', reason: 'AgentDisconnected', message: 'agent disconnected; containers are left as they are' });
  store.recordEvent('ContainerHost', key, { type: 'Normal', reason: 'AgentConnected', message: 'agent 0.1.0 connected from node-a' });
  await store.eventsIdle();
  const list = (await getJson(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=box-1,involvedObject.kind=ContainerHost'])).items as any[];
  const disc = list.filter((e) => e.reason === 'AgentDisconnected');
  assert.is(disc.length, 1, 'one Event for three repeats');
  assert.is(disc[0].count, 3);
  assert.is(disc[0].type, 'Warning');
  assert.is(disc[0].involvedObject.uid, host.metadata.uid);
  assert.is(disc[0].involvedObject.apiVersion, 'berth.dev/v1alpha1');
  assert.is(disc[0].source.component, 'berth-controller');
  assert.is(disc[0].reportingComponent, 'berth-controller');
  assert.ok(Date.parse(disc[0].lastTimestamp) >= Date.parse(disc[0].firstTimestamp));
  assert.is(list.filter((e) => e.reason === 'AgentConnected').length, 1);
  const text = (await kubectl(['get', 'events', '-n', ns], { check: true })).stdout;
  assert.match(text, /AgentDisconnected/);
  const mem = store.events('ContainerHost', key);
  assert.equal(mem.map((e) => [e.reason, e.count]), [['AgentDisconnected', 3], ['AgentConnected', 1]]);
  // never throws, even for an object it does not know
  store.recordEvent('AgentToken', `${ns}/nobody`, { type: 'Normal', reason: 'Issued', message: 'x' });
  await store.eventsIdle();
});

test.run();
