// The agent's log streamer against the bed's real dockerd: stdout/stderr demultiplexed, TTY
// containers, tail and since, the end of a stream, cancel, backpressure, and that only containers
// Berth manages for this host are streamed.
import Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerLogStreams } from '../../agent/docker-logs.js';
import { LABELS } from '../../protocol/container.js';
import type { AgentFrame, LogEndFrame, LogEntry } from '../../protocol/frames.js';
import { agentFrameDecoder } from '../../protocol/codec.js';
import { docker, dockerOk, eventually, randomToken } from '../support/docker.js';
import { bed } from '../support/testbed.js';
import { removeLeftoversOnExit } from './leftovers.js';

process.env.DOCKER_HOST = bed('DOCKER_HOST');
const prefix = `berth-t-agent-logs${randomToken()}`;
removeLeftoversOnExit(prefix);
const hostKey = `berth-test/${prefix}`;
const image = bed('BERTH_TEST_IMAGE');
const decoder = agentFrameDecoder();

async function run(name: string, script: string, opts: { tty?: boolean; managed?: boolean } = {}): Promise<string> {
  const full = `${prefix}-${name}`;
  const labels = opts.managed === false ? [] : ['--label', `${LABELS.managed}=true`, '--label', `${LABELS.host}=${hostKey}`];
  await dockerOk(['run', '-d', ...(opts.tty ? ['-t'] : []), '--name', full, ...labels, image, 'sh', '-c', script]);
  return full;
}

/** Frames sent by one stream, each checked against the protocol schema as the controller would. */
class Sink {
  frames: AgentFrame[] = [];
  readonly send = (f: AgentFrame): void => {
    const d = decoder.decode(JSON.stringify(f));
    if (!d.ok) throw new Error(`the streamer sent an invalid frame: ${d.message}`);
    this.frames.push(f);
  };
  entries(): LogEntry[] { return this.frames.flatMap((f) => (f.type === 'log' ? f.entries : [])); }
  lines(s?: 'out' | 'err'): string[] { return this.entries().filter((e) => !s || e.s === s).map((e) => e.l); }
  end(): LogEndFrame | undefined { return this.frames.find((f): f is LogEndFrame => f.type === 'logEnd'); }
}

const streams = () => new DockerLogStreams({ hostKey, docker: new Docker(), batchDelayMs: 20 });

test.after(async () => {
  const ids = (await docker(['ps', '-aq', '--filter', `name=${prefix}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
});

test('stdout and stderr lines arrive in order with the right stream and Docker\'s timestamps; the end says why', async () => {
  const name = await run('plain', 'for i in 1 2 3; do echo out-$i; echo err-$i >&2; done; printf "no newline"; sleep 1');
  const sink = new Sink();
  const ls = streams();
  ls.open({ type: 'logs', stream: 's1', name, tail: 100, follow: true }, sink.send);
  await eventually(async () => assert.ok(sink.end(), 'logEnd'), 20_000);
  assert.equal(sink.lines('out').slice(0, 3), ['out-1', 'out-2', 'out-3']);
  assert.equal(sink.lines('err'), ['err-1', 'err-2', 'err-3']);
  for (const e of sink.entries()) assert.match(e.t, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  assert.match(sink.end()!.reason ?? '', /is not running \(exited, exit code 0\)/);
  assert.is(ls.size, 0);
  // The engine writes a last line without newline only when the container exits, racing the end
  // of a follow; read it back without following: the splitter hands it over at the end.
  const all = new Sink();
  ls.open({ type: 'logs', stream: 's2', name, tail: 100, follow: false }, all.send);
  await eventually(async () => assert.ok(all.end(), 'logEnd'), 10_000);
  assert.equal(all.lines('out'), ['out-1', 'out-2', 'out-3', 'no newline']);
  assert.match(all.end()!.reason ?? '', /not following/);
});

test('a TTY container\'s raw stream: lines without \\r, all as stdout', async () => {
  const name = await run('tty', 'echo one; echo two >&2; sleep 600', { tty: true });
  const sink = new Sink();
  const ls = streams();
  ls.open({ type: 'logs', stream: 't1', name, tail: 100, follow: true }, sink.send);
  await eventually(async () => assert.equal(sink.lines(), ['one', 'two']), 15_000);
  assert.ok(sink.entries().every((e) => e.s === 'out'));
  ls.closeAll();
});

test('tail and since limit the history; cancel stops the stream without logEnd', async () => {
  const name = await run('tail', 'for i in $(seq 1 50); do echo line-$i; done; sleep 3; while true; do sleep 0.2; echo tick; done');
  await eventually(async () => assert.match((await dockerOk(['logs', name])), /line-50/), 15_000);
  const sink = new Sink();
  const ls = streams();
  ls.open({ type: 'logs', stream: 'a', name, tail: 5, follow: true }, sink.send);
  await eventually(async () => assert.ok(sink.lines().length >= 5), 15_000);
  assert.equal(sink.lines().slice(0, 5), ['line-46', 'line-47', 'line-48', 'line-49', 'line-50']);
  const t48 = sink.entries().find((e) => e.l === 'line-48')!.t;
  ls.cancel({ type: 'logsCancel', stream: 'a' });
  const n = sink.frames.length;
  await new Promise((r) => setTimeout(r, 600));
  assert.is(sink.frames.length, n, 'nothing after cancel');
  assert.is(sink.end(), undefined, 'a cancelled stream sends no logEnd');
  const resumed = new Sink();
  ls.open({ type: 'logs', stream: 'b', name, tail: 1000, follow: false, since: t48 }, resumed.send);
  await eventually(async () => assert.ok(resumed.end()), 10_000);
  assert.equal(resumed.lines().slice(0, 3), ['line-48', 'line-49', 'line-50'], 'since is inclusive and drops what came before');
});

test('backpressure: while the socket is full the stream pauses and nothing is lost', async () => {
  const name = await run('flood', 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); echo "flood line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; done; sleep 600');
  let buffered = 0;
  const sink = new Sink();
  const ls = new DockerLogStreams({ hostKey, docker: new Docker(), highWaterBytes: 100_000, lowWaterBytes: 10_000, pollMs: 5 });
  const send = (f: AgentFrame) => { sink.send(f); if (f.type === 'log') buffered += JSON.stringify(f).length; };
  // From the first line (not tail 0): the container may have printed everything before we attach.
  ls.open({ type: 'logs', stream: 'f', name, tail: 100_000, follow: true }, send, { bufferedAmount: () => buffered });
  await eventually(async () => assert.ok(ls.stats.pauses >= 1, 'paused'), 15_000, 20);
  const held = sink.lines().length;
  await new Promise((r) => setTimeout(r, 300));
  assert.is(sink.lines().length, held, 'no frames while the socket stays full');
  // Drain the "socket" repeatedly until everything arrived.
  const drain = setInterval(() => { buffered = 0; }, 10);
  try {
    await eventually(async () => assert.ok(sink.lines().includes('flood line 20000 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')), 30_000);
  } finally { clearInterval(drain); }
  const numbers = sink.lines().map((l) => Number(/flood line (\d+)/.exec(l)?.[1]));
  assert.is(numbers.length, new Set(numbers).size, 'no duplicates');
  assert.ok(numbers.every((n, i) => i === 0 || n === numbers[i - 1]! + 1), 'contiguous: nothing lost while paused');
  ls.closeAll();
});

test('a container Berth does not manage, or does not exist, is not streamed', async () => {
  const name = await run('foreign', 'echo secret; sleep 600', { managed: false });
  const ls = streams();
  const foreign = new Sink();
  ls.open({ type: 'logs', stream: 'x', name, tail: 10, follow: true }, foreign.send);
  await eventually(async () => assert.ok(foreign.end()), 10_000);
  assert.match(foreign.end()!.reason ?? '', /not managed by Berth for this host/);
  assert.equal(foreign.lines(), []);
  const missing = new Sink();
  ls.open({ type: 'logs', stream: 'y', name: `${prefix}-nope`, tail: 10, follow: true }, missing.send);
  await eventually(async () => assert.ok(missing.end()), 10_000);
  assert.match(missing.end()!.reason ?? '', /does not exist/);
  const bad = new Sink();
  ls.open({ type: 'logs', stream: 'z', name, tail: 10, follow: true, since: 'yesterday' }, bad.send);
  await eventually(async () => assert.match(bad.end()?.reason ?? '', /invalid since/), 5_000);
});

test('without Docker the stream ends saying so', async () => {
  const ls = new DockerLogStreams({ hostKey, docker: new Docker({ socketPath: '/nonexistent/docker.sock' }) });
  const sink = new Sink();
  ls.open({ type: 'logs', stream: 'n', name: 'web', tail: 10, follow: true }, sink.send);
  await eventually(async () => assert.match(sink.end()?.reason ?? '', /^Docker unavailable: /), 5_000);
});

test.run();
