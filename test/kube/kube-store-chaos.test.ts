// KubeStore informers under trouble, against the test bed's REAL kube-apiserver:
// - the apiserver restarts: the store keeps serving its cache, reports the trouble in problems(),
//   comes back by itself and sees a change made right after the restart;
// - a watch connection goes silent without closing (a half-open TCP connection, simulated by a
//   plain TCP relay in front of the real apiserver that stops forwarding on its open connections):
//   the watchdog tears it down and relists, so a change made meanwhile still arrives.
// Every wait is bounded.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/wait.js';
import { KubeStore } from '../../controller/store/kube/kube-store.js';
import type { StoreChange } from '../../controller/store/store.js';
import { installCrds } from '../support/berth.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubeconfig, kubectl, restartApiserver } from '../support/kube.js';
import { bed } from '../support/testbed.js';

const logLines: string[] = [];
const logger = pino({ level: 'debug' }, new Writable({ write(chunk, _enc, cb) { logLines.push(String(chunk)); if (process.env.BERTH_TEST_SHOW_LOGS) process.stderr.write(String(chunk)); cb(); } }));

let ns = '';
const kc = new KubeConfig();
const stores: KubeStore[] = [];

const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000) => until(what, fn, timeoutMs);

const hostYaml = (name: string, image: string) => `
apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: ${name}, namespace: ${ns} }
spec:
  containers: [{ name: web, image: "${image}" }]
`;

/** kubectl apply, retried while the apiserver is still settling after a restart. */
async function applyRetrying(yaml: string, timeoutMs = 30_000): Promise<void> {
  await waitFor('kubectl apply to succeed', async () => {
    try { await applyYaml(yaml); return true; } catch { return false; }
  }, timeoutMs);
}

/**
 * A TCP relay to the real apiserver (TLS passes through untouched). freeze() makes every connection
 * open at that moment go silent in both directions without closing — what a half-open connection
 * looks like to the client; connections made afterwards work normally.
 */
class StallRelay {
  private server?: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private readonly all = new Set<Socket>();
  frozen = 0;

  async start(target: URL): Promise<string> {
    this.server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      this.all.add(client).add(upstream);
      for (const s of pair) s.on('error', () => { client.destroy(); upstream.destroy(); });
      client.on('close', () => { upstream.destroy(); this.pairs.delete(pair); });
      upstream.on('close', () => { client.destroy(); this.pairs.delete(pair); });
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  freeze(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.frozen++;
    }
    this.pairs.clear();   // frozen pairs stay open (and silent) until stop()
  }

  async stop(): Promise<void> {
    for (const s of this.all) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

test.before(async () => {
  kc.loadFromFile(kubeconfig('admin'));
  await installCrds();
  ns = await createTestNamespace('berth-t-kchaos');
});

test.after(async () => {
  await Promise.all(stores.map((s) => s.stop()));
  if (ns) await deleteTestNamespace(ns);
});

test('apiserver restart: the cache keeps serving, problems() reports it, and a change made right after is seen', async () => {
  await applyYaml(hostYaml('box-r', 'nginx:1'));
  const key = `${ns}/box-r`;
  const store = new KubeStore({ kubeConfig: kc, namespace: ns, controllerNamespace: ns, logger, backoffInitialMs: 200, backoffMaxMs: 1_000 });
  stores.push(store);
  const events: StoreChange[] = [];
  store.subscribe((e) => events.push(e));
  await store.start();
  assert.ok(store.host(key));
  const before = store.informerStats();

  // Sample the cache and problems() all through the restart.
  let samples = 0;
  let missing = 0;
  let problemSeen = '';
  const sampler = setInterval(() => {
    samples++;
    if (!store.host(key)) missing++;
    const p = store.problems()[0];
    if (p) problemSeen = `${p.source}: ${p.message}`;
  }, 50);
  try {
    await restartApiserver();
  } finally {
    clearInterval(sampler);
  }
  assert.ok(samples > 10);
  assert.is(missing, 0, 'the host never vanished from the cache while the apiserver was away');

  // A change made right after the apiserver is back.
  await applyRetrying(hostYaml('box-r', 'nginx:2'));
  await waitFor('the store to see the change made after the restart', () => store.host(key)?.spec.containers?.[0]?.image === 'nginx:2', 30_000);
  assert.is(store.host(key)!.metadata.generation, 2);
  assert.ok(events.some((e) => e.kind === 'ContainerHost' && e.key === key));
  await waitFor('problems() to clear', () => store.problems().length === 0, 30_000);
  const after = store.informerStats();
  assert.ok(after.ContainerHost.watches > before.ContainerHost.watches, 'the watch was re-established');
  // The outage is visible in problems() while it lasted (sampled every 50 ms; a failed attempt holds
  // the problem through its backoff of 200 ms or more) and counted as informer failures.
  // Every informer counts (the kinds come from the store itself, so a kind added later is included).
  const kinds = Object.keys(after) as Array<keyof typeof after>;
  const failures = kinds.reduce((sum, k) => sum + after[k].failures, 0);
  assert.ok(failures > 0, 'informer failures counted');
  assert.match(problemSeen, new RegExp(`^kubernetes: (${kinds.join('|')}) informer: `), `problems() reported the outage (last seen: ${JSON.stringify(problemSeen)})`);
});

test('a silent (half-open) watch connection is torn down by the watchdog; a change made meanwhile arrives', async () => {
  const relay = new StallRelay();
  const server = await relay.start(new URL(bed('BERTH_TEST_APISERVER_URL')));
  const viaRelay = new KubeConfig();
  viaRelay.loadFromFile(kubeconfig('admin'));
  const cluster = viaRelay.getCurrentCluster()!;
  viaRelay.loadFromOptions({
    clusters: [{ ...cluster, server }], users: viaRelay.users, contexts: viaRelay.contexts, currentContext: viaRelay.currentContext,
  });
  await applyYaml(hostYaml('box-s', 'nginx:1'));
  const key = `${ns}/box-s`;
  const WATCHDOG_MS = 2_000;
  const store = new KubeStore({ kubeConfig: viaRelay, namespace: ns, controllerNamespace: ns, logger, watchdogMs: WATCHDOG_MS, backoffInitialMs: 200, backoffMaxMs: 1_000 });
  stores.push(store);
  try {
    await store.start();
    assert.ok(store.host(key));
    // Let the watches get established, then freeze every connection the store has open.
    await waitFor('watches established', () => Object.values(store.informerStats()).every((s) => s.watches >= 1));
    await new Promise((r) => setTimeout(r, 200));
    const stallsBefore = store.informerStats().ContainerHost.stalls;
    relay.freeze();
    assert.ok(relay.frozen >= 3, `the store's connections were frozen (${relay.frozen})`);
    // The change goes straight to the apiserver; the frozen watch would never deliver it.
    await kubectl(['patch', 'ch', 'box-s', '-n', ns, '--type=merge', '-p', '{"spec":{"paused":true}}'], { check: true });
    await waitFor('the change to arrive after the watchdog relists', () => store.host(key)?.spec.paused === true, WATCHDOG_MS * 5);
    assert.ok(store.informerStats().ContainerHost.stalls > stallsBefore, 'the watchdog fired');
    assert.ok(logLines.some((l) => l.includes('nothing received for') && l.includes('relisting')));
  } finally {
    await store.stop();
    await relay.stop();
  }
});

test.run();
