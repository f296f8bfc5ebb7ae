// Quiet at rest (issue 17 item 4), directory mode on the bed's dockerd: a converged host whose agent
// re-sends its whole inventory every 5 s (the resync, 300 s in production) gets no status write —
// neither the reconciler's counter nor the status file moves over several resyncs — while its
// liveness stays visible from memory: the API's lastSeenAt keeps moving and the silence gauge stays
// under the ping interval. The control: when the agent goes, exactly that change is written.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, until } from '../support/berth-env.js';
import { metric } from '../support/metrics.js';
import { bed } from '../support/testbed.js';

const RESYNC_S = 5;
// Longer than the 60 s the previous release waited between lastSeenAt-only writes: a write
// brought by the resyncs shows in this window.
const WINDOW_MS = 65_000;
const RESYNCS = Math.floor(WINDOW_MS / (RESYNC_S * 1000));
const env = new BerthEnv();
const names = [env.name('a'), env.name('b')];
const spec = `containers:\n${names.map((n) => `- name: ${n}\n  image: ${bed('BERTH_TEST_IMAGE')}\n  imagePullPolicy: IfNotPresent\n  command: ["sleep", "3600"]\n  stopTimeoutSeconds: 1`).join('\n')}`;
const statusFile = () => join(env.state, 'status', 'ContainerHost', env.namespace, 'box.json');
const writes = async () => (await metric(env, 'berth_status_writes_total')) ?? 0;
const observedFrames = async () => (await metric(env, 'berth_hub_frames_received_total', { type: 'observed' })) ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  env.write('box.yaml', env.hostYaml('box', spec));
  await env.startController([], { seams: { resyncSeconds: RESYNC_S, pingIntervalMs: 500 } });
  await env.startAgent('box');
  await env.waitReady('box');
});
test.after(async () => { await env.cleanup(); });

test('a converged host is not rewritten by its agent\'s resyncs; liveness is served from memory', async () => {
  // Settle: the last status of the ramp (health, startedAt) may still be on its way to the file.
  await until('status written and stable', async () => {
    const w = await writes();
    await sleep(RESYNC_S * 1000 + 500);
    return (await writes()) === w;
  }, 30_000);
  const [writesBefore, framesBefore, mtimeBefore] = [await writes(), await observedFrames(), statSync(statusFile()).mtimeMs];
  const seenBefore = (await env.host('box'))?.status.agent?.lastSeenAt;

  await sleep(WINDOW_MS);

  const resyncs = (await observedFrames()) - framesBefore;
  assert.ok(resyncs >= RESYNCS - 1, `the agent resynced (${resyncs} observed frames in the window)\n${env.logs()}`);
  assert.is(await writes(), writesBefore, `no status write at rest (berth_status_writes_total moved over ${resyncs} resyncs)`);
  assert.is(statSync(statusFile()).mtimeMs, mtimeBefore, 'the status file was not rewritten');
  const h = await env.host('box');
  const seenAfter = h?.status.agent?.lastSeenAt;
  assert.ok(h?.status.agent?.connected, 'still connected');
  assert.ok(seenAfter && seenBefore && Date.parse(seenAfter) > Date.parse(seenBefore), `lastSeenAt moves in the API view (${seenBefore} → ${seenAfter})`);
  assert.ok(Date.now() - Date.parse(seenAfter!) < 5_000, `lastSeenAt is recent (${seenAfter})`);
  const silence = await metric(env, 'berth_hub_agent_silence_max_seconds');
  assert.ok(silence !== undefined && silence < 3, `the silence gauge stays under a few ping intervals (${silence})`);
});

test('when the agent goes, the change (with the time it was last seen) is written', async () => {
  const before = await writes();
  await env.kill(env.agents.get('box'), 'SIGKILL');
  const h = await env.waitHost('box', 'agent disconnected', (v) => (v.status.agent?.connected === false ? v : undefined), 20_000);
  assert.ok(h.status.agent?.lastSeenAt, 'status says when the agent was last seen');
  assert.ok((await writes()) > before, 'the disconnect was written');
  await until('the status file carries lastSeenAt', () => {
    try { return /"lastSeenAt"/.test(readFileSync(statusFile(), 'utf8')); } catch { return false; }
  }, 10_000);
});

test.run();
