// Deleting a ContainerHost whose agent is gone, in Kubernetes mode (docs/kubernetes.md "Deleting a
// host"): the real controller process, the bed's apiserver, a real agent and dockerd. Without an
// agent the host waits in Terminating with Synced=False, reason CleanupWaitingForAgent; the
// annotation berth.dev/force-delete: "true" drops the finalizer and leaves the containers alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { kubectl } from '../support/kube.js';
import { KubeBerth, type ControllerProc } from '../support/kube-berth.js';

const kb = new KubeBerth('bk-cleanup');
let controller: ControllerProc;

test.before(async () => { controller = await kb.setupLeading(); });

test.after(async () => { await kb.cleanup(); });

test('agent gone: the deleted host waits in Terminating (CleanupWaitingForAgent); force-delete drops the finalizer and leaves the containers', async () => {
  const host = 'gone';
  await kb.apply(kb.hostYaml(host, `${kb.sleeper('a')}\n${kb.sleeper('b')}`));
  const agent = await kb.startAgent(host, controller.url);
  await kb.waitCondition(host, 'Ready', 'True');
  const ids = await kb.containers(host);
  assert.is(ids.size, 2);
  await kb.stop(agent, 'SIGKILL');
  await kb.waitCondition(host, 'AgentConnected', 'False');

  await kubectl(['-n', kb.ns, 'delete', 'containerhost', host, '--wait=false'], { check: true });
  const synced = await kb.waitCondition(host, 'Synced', 'False', 'CleanupWaitingForAgent', 30_000);
  assert.match(synced.message ?? '', /waiting for its agent.*berth\.dev\/force-delete/);
  const waiting = await kb.host(host);
  assert.ok(waiting?.metadata.deletionTimestamp, 'Terminating');
  assert.ok(waiting?.metadata.finalizers?.includes('berth.dev/cleanup'), 'held by the cleanup finalizer');
  assert.equal(await kb.containers(host), ids, 'nothing removed without an agent');

  await kubectl(['-n', kb.ns, 'annotate', 'containerhost', host, 'berth.dev/force-delete=true'], { check: true });
  await until('the host gone', async () => (await kb.host(host)) === undefined || undefined, 30_000);
  assert.equal(await kb.containers(host), ids, 'force-delete left every container');
  for (const id of ids.values()) {
    assert.is((await docker(['inspect', '-f', '{{.State.Running}}', id])).stdout.trim(), 'true', `container ${id} still running`);
  }
  const events = JSON.parse(await kb.eventsJson()) as { items: Array<{ reason: string; type: string; involvedObject: { name: string } }> };
  assert.ok(events.items.some((e) => e.reason === 'ForceDeleted' && e.type === 'Warning' && e.involvedObject.name === host), 'a ForceDeleted Warning');
});

test.run();
