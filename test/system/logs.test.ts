// Live log tails end to end: the real `berth controller` and `berth agent` on the bed's dockerd, and
// WebSocket viewers on /api/v1/logs/ws. One agent stream per container however many viewers, ring
// replay, grace period, refusals before the upgrade, slow viewers, agent restarts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Controller } from '../../controller/controller.js';
import type { AccessControl } from '../../controller/http/access.js';
import { DirectoryStore } from '../../controller/store/dir/dir-store.js';
import { BerthEnv, until } from '../support/berth-env.js';
import { dockerOk } from '../support/docker.js';
import { LogViewer, logUrl, metric, refusal } from '../support/log-viewer.js';
import { bed } from '../support/testbed.js';

const GRACE_S = 2;
const env = new BerthEnv();
const host = 'logs';
const chatty = env.name('chatty');
const quiet = env.name('quiet');
// Large log files: Docker 20.10's json-file follow duplicates (and may lose) lines across a rotation,
// `docker logs -f` too (docs/logs.md, test/system/log-rotation.test.ts); the flood test writes ~20 MB.
const container = (name: string, script: string) => `- name: ${name}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", ${JSON.stringify(script)}]
  stopTimeoutSeconds: 1
  logging: { maxSize: 100Mi, maxFiles: 2 }`;
const spec = `containers:
${container(chatty, 'trap "exit 0" TERM; i=0; while true; do i=$((i+1)); echo "out $i"; echo "err $i" >&2; sleep 0.1; done')}
${container(quiet, 'trap "exit 0" TERM; while true; do sleep 1; done')}`;

const url = (c: string, extra: Record<string, string | number> = {}) => logUrl(env.url, { namespace: env.namespace, host, container: c, ...extra });
const numbers = (v: LogViewer, s: 'out' | 'err' = 'out') => v.lines().filter((e) => e.s === s).map((e) => Number(/^\S+ (\d+)$/.exec(e.l)?.[1]));
const streamsNow = () => metric(env.url, 'berth_log_agent_streams');

test.before(async () => {
  env.write('host.yaml', env.hostYaml(host, spec));
  await env.startController(['--log-grace', String(GRACE_S)]);
  await env.startAgent(host);
  await env.waitReady(host);
});
test.after(async () => { await env.cleanup(); });

test('refusals happen before the upgrade, as JSON naming the problem', async () => {
  const bad = await refusal(url(chatty, { tail: 5000 }));
  assert.is(bad.status, 400);
  assert.match(bad.json().message, /"tail"/);
  const missing = await refusal(logUrl(env.url, { namespace: env.namespace, container: chatty }));
  assert.is(missing.status, 400);
  assert.match(missing.json().message, /"host"/);
  const foreign = await refusal(url(chatty), { Origin: 'http://evil.example' });
  assert.is(foreign.status, 403);
  assert.match(foreign.json().message, /Origin/);
  const sameOrigin = await LogViewer.open(url(chatty), { headers: { Origin: env.url } });
  await sameOrigin.close();
  const noHost = await refusal(logUrl(env.url, { namespace: env.namespace, host: 'nope', container: chatty }));
  assert.is(noHost.status, 404);
  assert.match(noHost.json().message, /ContainerHost .*\/nope not found/);
  const noContainer = await refusal(url('undeclared'));
  assert.is(noContainer.status, 404);
  assert.match(noContainer.json().message, /container undeclared is not declared/);
  const other = await refusal(`${env.url.replace(/^http/, 'ws')}/api/v1/nothing-here`);
  assert.is(other.status, 404, 'other upgrade paths: 404 (the agent endpoint still works: the agent is connected)');
});

test('stdout and stderr lines arrive with the right stream', async () => {
  const v = await LogViewer.open(url(chatty, { tail: 10 }));
  try {
    const first = v.messages[0];
    assert.is(first?.type, 'ready');
    await v.waitFor('out and err lines', (x) => numbers(x, 'out').length >= 5 && numbers(x, 'err').length >= 5);
    for (const e of v.lines()) {
      assert.match(e.l, e.s === 'out' ? /^out \d+$/ : /^err \d+$/);
      assert.match(e.t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    }
    const out = numbers(v, 'out');
    assert.ok(out.every((n, i) => i === 0 || n === out[i - 1]! + 1), `stdout in order, none missing: ${out.join(',')}`);
  } finally { await v.close(); }
});

test('two viewers → one agent stream; a late viewer gets the ring replay; the stream is cancelled a grace period after the last leaves', async () => {
  await until('no agent log streams left from earlier tests', async () => (await streamsNow()) === 0, 20_000);
  const opened = (await metric(env.url, 'berth_log_agent_streams_opened_total')) ?? 0;
  const a = await LogViewer.open(url(chatty, { tail: 0 }));
  await a.waitFor('live lines', (x) => x.lines().length >= 20);
  const b = await LogViewer.open(url(chatty, { tail: 7 }));
  try {
    const ready = b.messages[0];
    assert.equal(ready, { type: 'ready', namespace: env.namespace, host, container: chatty, replayed: 7 });
    // open() resolves on `ready`; the replay's `lines` may come in a later TCP read.
    await b.waitFor('the replay', (x) => x.lines().length >= 7);
    const replay = b.lines().slice(0, 7).map((e) => `${e.t} ${e.l}`);
    // The ring may hold lines A's socket has not delivered yet: compare once A has them too.
    await a.waitFor('the replayed lines at viewer A', (x) => x.lines().some((e) => `${e.t} ${e.l}` === replay[6]));
    const seenByA = a.lines().map((e) => `${e.t} ${e.l}`);
    const at = seenByA.indexOf(replay[0]!);
    assert.ok(at >= 0, 'the replay is what the stream carried');
    assert.equal(seenByA.slice(at, at + 7), replay, 'the replay is the ring\'s newest lines, in order');
    await b.waitFor('live lines after the replay', (x) => x.lines().length > 10);
    assert.is(await streamsNow(), 1, 'one agent stream for two viewers');
    assert.is(await metric(env.url, 'berth_log_agent_streams_opened_total'), opened + 1);
    assert.is(await metric(env.url, 'berth_log_viewers'), 2);
  } finally {
    await a.close();
    await b.close();
  }
  const closedAt = Date.now();
  await until('the viewers gauge at 0', async () => (await metric(env.url, 'berth_log_viewers')) === 0, 5_000);
  // Kept during the grace period: proven by the bound below (the stream's end is polled every
  // 100 ms at most, so an early cancel is seen early), on every run rather than only on a fast one.
  await until('the agent stream cancelled', async () => (await streamsNow()) === 0, GRACE_S * 1000 + 10_000);
  assert.ok(Date.now() - closedAt >= GRACE_S * 1000 - 200, `cancelled only after the ${GRACE_S} s grace (${Date.now() - closedAt} ms)`);
});

test('a slow viewer gets a gap while a normal viewer receives every line', async () => {
  const normal = await LogViewer.open(url(quiet, { tail: 0 }));
  const slow = await LogViewer.open(url(quiet, { tail: 0 }));
  try {
    // The agent stream is live once a line written now reaches both viewers (a gauge that exists at
    // 0 would not say so).
    await dockerOk(['exec', quiet, 'sh', '-c', 'echo stream-is-live > /proc/1/fd/1']);
    for (const v of [normal, slow]) await v.waitFor('the marker line', (x) => x.lines().some((e) => e.l === 'stream-is-live'), 20_000);
    const before = { normal: normal.lineCount, slow: slow.lineCount };
    slow.pause();
    const dropped0 = (await metric(env.url, 'berth_log_lines_dropped_total')) ?? 0;
    // Write straight into the container's stdout (PID 1's fd 1) as fast as busybox can.
    const N = 120_000;
    const pad = 'x'.repeat(100);
    await dockerOk(['exec', quiet, 'sh', '-c', `seq 1 ${N} | sed 's/^/flood /;s/$/ ${pad}/' > /proc/1/fd/1`]);
    await normal.waitFor(`all ${N} lines at the normal viewer`, (v) => v.lineCount - before.normal >= N, 90_000);
    const got = normal.lines().slice(before.normal).map((e) => Number(/^flood (\d+) /.exec(e.l)?.[1]));
    assert.is(got.length, N);
    assert.ok(got.every((n, i) => n === i + 1), 'every line, in order, no duplicates');
    assert.is(normal.of('gap').length, 0, 'the normal viewer never had to skip');
    assert.ok(((await metric(env.url, 'berth_log_lines_dropped_total')) ?? 0) > dropped0, 'lines were dropped for the slow viewer');
    slow.resume();
    const gap = await slow.waitFor('a gap at the slow viewer', (v) => v.of('gap')[0], 30_000);
    assert.ok(gap.dropped > 0);
    await slow.waitFor('the slow viewer caught up', (v) => v.lineCount - before.slow + gap.dropped >= N, 30_000);
    assert.is(slow.lineCount - before.slow + slow.of('gap').reduce((n, g) => n + g.dropped, 0), N, 'received + dropped = written');
  } finally {
    await normal.close();
    await slow.close();
  }
});

test('agent restart → waiting, then lines resume without duplicates', async () => {
  const v = await LogViewer.open(url(chatty, { tail: 0 }));
  try {
    await v.waitFor('lines', (x) => numbers(x).length >= 5);
    await env.kill(env.agents.get(host));
    const waiting = await v.waitFor('waiting', (x) => x.of('waiting')[0], 20_000);
    assert.match(waiting.reason, /agent of host .* disconnected/);
    const before = numbers(v).length;
    await env.startAgent(host);
    await v.waitFor('lines again', (x) => numbers(x).length >= before + 10, 30_000);
    const out = numbers(v);
    assert.ok(out.every((n, i) => i === 0 || n > out[i - 1]!), 'strictly increasing: no duplicates after the resume');
    assert.ok(out.every((n, i) => i === 0 || n === out[i - 1]! + 1), 'and none lost: the agent resumed from the last line it sent');
  } finally { await v.close(); }
});

test('container restarted out of band → waiting (not running), then its new lines', async () => {
  const v = await LogViewer.open(url(chatty, { tail: 0 }));
  try {
    await v.waitFor('lines', (x) => numbers(x).length >= 3);
    await dockerOk(['restart', '-t', '1', chatty]);
    // The follow ends when the container stops; the agent reports its restart and the stream is asked for again.
    await v.waitFor('the counter starting over', (x) => { const n = numbers(x); return n.some((k, i) => i > 0 && k < n[i - 1]!); }, 30_000);
    const w = v.of('waiting');
    assert.ok(w.length >= 1, 'viewers were told');
    assert.match(w[0]!.reason, /not running|ended the log stream|removed/);
  } finally { await v.close(); }
});

test('a container removed from the spec: its viewers get error and close 1008', async () => {
  const v = await LogViewer.open(url(quiet, { tail: 0 }));
  env.write('host.yaml', env.hostYaml(host, `containers:\n${container(chatty, 'trap "exit 0" TERM; while true; do echo still; sleep 1; done')}`));
  await v.waitFor('the socket closed', (x) => x.closed, 20_000);
  assert.is(v.closed!.code, 1008);
  const err = v.of('error')[0];
  assert.is(err?.code, 'NotFound');
  assert.match(err?.message ?? '', /no longer declared/);
  const gone = await refusal(url(quiet));
  assert.is(gone.status, 404, 'and new viewers are refused');
});

test('an AccessControl that refuses answers 403 before the upgrade (in-process controller)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logs-access-'));
  writeFileSync(join(dir, 'host.yaml'), env.hostYaml('guarded', `containers:\n${container('web', 'sleep 1')}`));
  let asked: unknown;
  const refuse: AccessControl = {
    check: async (_req, what) => { asked = what; return { allowed: false, status: 403, message: 'user jane may not get containerhosts/logs' }; },
  };
  const controller = new Controller({
    store: new DirectoryStore({ paths: [dir], stateDir: join(dir, '.state'), logger: pino({ level: 'silent' }) }),
    logger: pino({ level: 'silent' }), version: 'test', listen: { host: '127.0.0.1', port: 0 }, access: refuse,
  });
  await controller.start();
  try {
    const r = await refusal(logUrl(controller.address, { namespace: env.namespace, host: 'guarded', container: 'web' }));
    assert.is(r.status, 403);
    assert.equal(r.json(), { error: 'Forbidden', message: 'user jane may not get containerhosts/logs' });
    assert.equal(asked, { resource: 'containerhosts', subresource: 'logs', namespace: env.namespace, name: 'guarded' });
    const undeclared = await refusal(logUrl(controller.address, { namespace: env.namespace, host: 'nope', container: 'web' }));
    assert.is(undeclared.status, 403, 'access is asked before existence is revealed');
  } finally {
    await controller.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an open viewer whose access is revoked gets an error frame and close 1008 (in-process controller)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-logs-revoke-'));
  writeFileSync(join(dir, 'host.yaml'), env.hostYaml('revoked', `containers:\n${container('web', 'sleep 1')}`));
  let allowed = true;
  let asked = 0;
  const access: AccessControl = {
    check: async () => {
      asked++;
      return allowed ? { allowed: true, user: 'jane' } : { allowed: false, status: 403, message: 'user jane may not get containerhosts/logs' };
    },
  };
  const controller = new Controller({
    store: new DirectoryStore({ paths: [dir], stateDir: join(dir, '.state'), logger: pino({ level: 'silent' }) }),
    logger: pino({ level: 'silent' }), version: 'test', listen: { host: '127.0.0.1', port: 0 }, access,
    logs: { accessRecheckMs: 200 },
  });
  await controller.start();
  try {
    const v = await LogViewer.open(logUrl(controller.address, { namespace: env.namespace, host: 'revoked', container: 'web' }));
    try {
      await until('access asked again while open', async () => asked >= 3, 5_000);
      assert.is(v.closed, undefined, 'still open while allowed');
      allowed = false;
      await until('the viewer closed', async () => v.closed !== undefined, 5_000);
      assert.is(v.closed?.code, 1008);
      const err = v.messages.find((m) => m.type === 'error');
      assert.is(err?.type === 'error' ? err.code : undefined, 'Forbidden');
      assert.match(err?.type === 'error' ? err.message : '', /access revoked: user jane may not get containerhosts\/logs/);
    } finally { await v.close(); }
  } finally {
    await controller.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
