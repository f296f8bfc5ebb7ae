// bench/logs: live log tails through Berth (container → dockerd → agent → controller → WebSocket
// viewer) against `docker logs -f` reading the same container directly, in the same run on the same
// machine, so a noisy machine affects both alike. Prints figures and ratios; asserts nothing.
//
//   npm run bench:logs                       (needs the test bed: bash test/env/testbed.sh up)
//   node dist/bench/logs.js --lines 200000 --paced-seconds 10 --viewers 100 --viewer-lines 20000
//
// 1. Throughput: a container writes LINES lines as fast as busybox can (seq | sed into PID 1's
//    stdout); lines/s = LINES / (time of the last line received − time the write started), for a
//    Berth viewer and for `docker logs -f` following at the same time.
// 2. Latency at ~1000 lines/s: receive time at the viewer − Docker's timestamp of the line (when
//    dockerd read it from the container), p50/p99, for both.
// 3. VIEWERS viewers of one container: one agent stream, lines/s each, gaps (dropped lines).
import { spawn } from 'node:child_process';
import { parseLogTime } from '../protocol/log-time.js';
import { parseScriptArgs, positive } from './args.js';
import { BerthEnv, until } from '../test/support/berth-env.js';
import { docker, dockerOk } from '../test/support/docker.js';
import { LogViewer, logUrl, metric } from '../test/support/log-viewer.js';
import { bed } from '../test/support/testbed.js';

const values = parseScriptArgs(import.meta.url, {
  lines: { type: 'string', default: '200000' }, 'paced-seconds': { type: 'string', default: '10' },
  viewers: { type: 'string', default: '100' }, 'viewer-lines': { type: 'string', default: '20000' },
});
for (const k of ['lines', 'paced-seconds', 'viewers', 'viewer-lines'] as const) positive(k, values[k]);
const LINES = Number(values.lines);
const PACED_S = Number(values['paced-seconds']);
const VIEWERS = Number(values.viewers);
const VIEWER_LINES = Number(values['viewer-lines']);
const PAD = 'x'.repeat(80);

const env = new BerthEnv();
const host = 'bench';
const names = { flood: env.name('flood'), paced: env.name('paced'), fan: env.name('fan') };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tMs = (t: string): number => { const p = parseLogTime(t); return p ? p.seconds * 1000 + p.nanos / 1e6 : NaN; };
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** `docker logs -f --timestamps --tail 0 NAME`, counting lines and (optionally) latencies. */
function follow(name: string, onLine: (line: string, at: number) => void): { stop: () => void } {
  const child = spawn('docker', ['logs', '-f', '--timestamps', '--tail', '0', name], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'ignore'] });
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const at = Date.now();
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const l of parts) onLine(l, at);
  });
  return { stop: () => child.kill('SIGTERM') };
}

/** Write into the container's stdout (PID 1's fd 1) from an exec. */
const exec = (name: string, script: string) => dockerOk(['exec', name, 'sh', '-c', `${script} > /proc/1/fd/1`], { timeoutMs: 600_000 });

async function attached(): Promise<void> {
  await until('the agent log stream', async () => ((await metric(env.url, 'berth_log_agent_streams')) ?? 0) >= 1, 20_000);
  await sleep(1000);   // docker logs -f attached too
}

async function throughput(): Promise<{ direct: number; berth: number; dropped: number }> {
  let directLast = 0;
  let directN = 0;
  const d = follow(names.flood, (_l, at) => { if (++directN === LINES) directLast = at; });
  let berthLast = 0;
  const got = { n: 0 };
  const v = await LogViewer.open(logUrl(env.url, { namespace: env.namespace, host, container: names.flood, tail: 0 }), {
    keep: false, onLines: (entries, at) => { got.n += entries.length; if (got.n >= LINES && !berthLast) berthLast = at; },
  });
  await attached();
  const start = Date.now();
  await exec(names.flood, `seq 1 ${LINES} | sed 's/^/flood /;s/$/ ${PAD}/'`);
  const dropped = () => v.messages.filter((m) => m.type === 'gap').reduce((n, m) => n + (m.type === 'gap' ? m.dropped : 0), 0);
  await until('both readers got every line', () => (directLast > 0 && (berthLast > 0 || got.n + dropped() >= LINES)), 300_000, 50);
  d.stop();
  await v.close();
  const berthEnd = berthLast || Date.now();
  return { direct: LINES / ((directLast - start) / 1000), berth: got.n / ((berthEnd - start) / 1000), dropped: dropped() };
}

async function latency(): Promise<{ rate: number; berth: number[]; direct: number[] }> {
  const direct: number[] = [];
  const berth: number[] = [];
  const d = follow(names.paced, (l, at) => { const t = l.slice(0, l.indexOf(' ')); if (l.includes(' paced ')) direct.push(at - tMs(t)); });
  const v = await LogViewer.open(logUrl(env.url, { namespace: env.namespace, host, container: names.paced, tail: 0 }), {
    keep: false, onLines: (entries, at) => { for (const e of entries) berth.push(at - tMs(e.t)); },
  });
  await attached();
  const n = PACED_S * 1000;
  const start = Date.now();
  // Ten lines, then 6 ms asleep (plus the shell's own time): about 1000 lines/s from busybox sh (the real rate is printed).
  await exec(names.paced, `i=0; while [ $i -lt ${n} ]; do i=$((i+1)); echo "paced $i"; [ $((i % 10)) -eq 0 ] && usleep 6000; done`);
  const rate = n / ((Date.now() - start) / 1000);
  await until('the paced lines', () => berth.length >= n && direct.length >= n, 60_000, 50);
  d.stop();
  await v.close();
  return { rate, berth, direct };
}

async function fanout(): Promise<{ perViewer: number[]; gaps: number; dropped: number; streams: number | undefined; opened: number }> {
  const opened0 = (await metric(env.url, 'berth_log_agent_streams_opened_total')) ?? 0;
  const url = logUrl(env.url, { namespace: env.namespace, host, container: names.fan, tail: 0 });
  const done: number[] = [];
  const viewers: LogViewer[] = [];
  for (let i = 0; i < VIEWERS; i++) {
    const slot = { n: 0 };
    const idx = i;
    viewers.push(await LogViewer.open(url, { keep: false, onLines: (e, at) => { slot.n += e.length; if (slot.n >= VIEWER_LINES && done[idx] === undefined) done[idx] = at; } }));
  }
  await attached();
  const streams = await metric(env.url, 'berth_log_agent_streams');
  const opened = ((await metric(env.url, 'berth_log_agent_streams_opened_total')) ?? 0) - opened0;
  const start = Date.now();
  await exec(names.fan, `seq 1 ${VIEWER_LINES} | sed 's/^/fan /;s/$/ ${PAD}/'`);
  const droppedOf = (v: LogViewer) => v.messages.reduce((n, m) => n + (m.type === 'gap' ? m.dropped : 0), 0);
  await until('every viewer done (all lines, or lines + dropped)', () => viewers.every((v, i) => done[i] !== undefined || v.lineCount + droppedOf(v) >= VIEWER_LINES), 300_000, 100);
  const end = Date.now();
  const perViewer = viewers.map((v, i) => v.lineCount / (((done[i] ?? end) - start) / 1000));
  const gaps = viewers.filter((v) => droppedOf(v) > 0).length;
  const dropped = viewers.reduce((n, v) => n + droppedOf(v), 0);
  await Promise.all(viewers.map((v) => v.close()));
  return { perViewer, gaps, dropped, streams, opened };
}

try {
  const c = (name: string) => `- name: ${name}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
  stopTimeoutSeconds: 1
  logging: { maxSize: 1Gi, maxFiles: 2 }`;
  env.write('host.yaml', env.hostYaml(host, `containers:\n${Object.values(names).map(c).join('\n')}`));
  await env.startController(['--log-grace', '1']);
  await env.startAgent(host);
  await env.waitReady(host);

  console.log(`\nbench/logs — live tails through Berth vs \`docker logs -f\`, same run (dockerd ${(await docker(['version', '-f', '{{.Server.Version}}'])).stdout.trim()})\n`);
  const tp = await throughput();
  console.log(`throughput, ${fmt(LINES)} lines of ~${PAD.length + 12} B written as fast as possible:`);
  console.log(`  docker logs -f   ${fmt(tp.direct)} lines/s`);
  console.log(`  Berth viewer     ${fmt(tp.berth)} lines/s${tp.dropped ? ` (${fmt(tp.dropped)} dropped for the viewer)` : ''}`);
  console.log(`  ratio            ${(tp.berth / tp.direct).toFixed(2)}×   (target ≥ 0.8×)`);
  await sleep(1500);

  const lat = await latency();
  console.log(`\nlatency, write → viewer (Docker's timestamp → received), ${fmt(lat.berth.length)} lines at ${fmt(lat.rate)} lines/s:`);
  console.log(`  docker logs -f   p50 ${pct(lat.direct, 50).toFixed(1)} ms   p99 ${pct(lat.direct, 99).toFixed(1)} ms`);
  console.log(`  Berth viewer     p50 ${pct(lat.berth, 50).toFixed(1)} ms   p99 ${pct(lat.berth, 99).toFixed(1)} ms   (target p99 < 100 ms)`);
  await sleep(1500);

  const fan = await fanout();
  const pv = fan.perViewer;
  console.log(`\n${VIEWERS} viewers of one container, ${fmt(VIEWER_LINES)} lines as fast as possible:`);
  console.log(`  agent streams open: ${fan.streams} (opened for them: ${fan.opened})`);
  console.log(`  lines/s per viewer: min ${fmt(Math.min(...pv))}, median ${fmt(pct(pv, 50))}, max ${fmt(Math.max(...pv))}`);
  console.log(`  viewers with a gap: ${fan.gaps} (${fmt(fan.dropped)} lines dropped in all; the benchmark process reads all ${VIEWERS} sockets)`);
} finally {
  await env.cleanup();
}
