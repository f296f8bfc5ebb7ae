// bench/agent-footprint: what one real agent costs its host. A real controller (directory mode) and a
// real `berth agent` process on the test bed's dockerd, managing 20 busybox containers; measured from
// /proc/<agent pid>:
//   1. idle: RSS and CPU over a window with everything converged (only pings, resyncs and Docker's
//      event stream left);
//   2. logs: 1,000,000 log lines streamed from one of the containers through the agent to a viewer of
//      the controller's log socket, then idle again; and again (--rounds). V8 keeps the pages a burst
//      needed, so RSS after the first round is the agent's working size under load; "no growth" means
//      the later rounds end where the first did.
// Both agents run in the same run, one after the other, on the same controller and engine: the
// compiled tree (`berth agent`, what the npm package runs) and the agent bundle
// (dist/agent-bundle/berth-agent.mjs, `npm run build:agent`, what the agent image runs); the table
// prints both and the bundle's ratio to the tree.
// Part 2 needs log streaming (agent streamer + controller log socket). It is detected, not assumed:
// a controller without /api/v1/logs/ws, or an agent answering `logs` with `unsupported`, makes the
// part print "pending" instead of a figure.
//
//   npm run bench:agent-footprint            (needs the test bed: bash test/env/testbed.sh up)
//   node dist/bench/agent-footprint.js --idle 60 --lines 1000000 [--only tree|bundle] [--bundle-node-options=--max-semi-space-size=1]
//     [--bundle-node "$BERTH_TEST_NODE_24"] [--bundle-node-args="--max-semi-space-size=1 --lite-mode"] [--rounds 0: idle only]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { BerthEnv, condition } from '../test/support/berth-env.js';
import { docker } from '../test/support/docker.js';
import { bed } from '../test/support/testbed.js';
import { repoRoot } from '../test/support/paths.js';
import { parseScriptArgs } from './args.js';

const values = parseScriptArgs(import.meta.url, {
  idle: { type: 'string', default: '60' },
  lines: { type: 'string', default: '1000000' },
  containers: { type: 'string', default: '20' },
  /** Bound of the log part, seconds. */
  'logs-timeout': { type: 'string', default: '300' },
  rounds: { type: 'string', default: '2' },
  /** Measure only one of the two agents. */
  only: { type: 'string' },
  /** NODE_OPTIONS for the bundle's process (e.g. "--max-semi-space-size=1", as the agent image runs it). */
  'bundle-node-options': { type: 'string' },
  /** The node binary that runs the bundle (e.g. $BERTH_TEST_NODE_24), and V8/node flags given on its command line (flags NODE_OPTIONS refuses, e.g. "--lite-mode"). */
  'bundle-node': { type: 'string' },
  'bundle-node-args': { type: 'string' },
});
const idleS = Number(values.idle);
const lineTarget = Number(values.lines);
const count = Number(values.containers);

const CLK_TCK = 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (msg: string) => console.error(`[footprint ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** RSS is file-backed pages (the node binary's code and snapshot, shared with every node process on the host) plus anonymous ones (heap, stacks: the agent's own). */
interface Sample { cpuS: number; rss: number; hwm: number; anon: number; file: number }
function sample(pid: number): Sample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuS: (Number(f[11]) + Number(f[12])) / CLK_TCK, rss: kb('VmRSS'), hwm: kb('VmHWM'), anon: kb('RssAnon'), file: kb('RssFile') };
}

/** CPU (% of one core) and RSS (mean, max) of PID over SECONDS, sampled every second. */
async function window(pid: number, seconds: number): Promise<{ cpuPct: number; rssMean: number; rssMax: number; anonMean: number; fileMean: number }> {
  const first = sample(pid);
  const samples: Sample[] = [];
  for (let i = 0; i < seconds; i++) { await sleep(1000); samples.push(sample(pid)); }
  const last = sample(pid);
  const mean = (k: 'rss' | 'anon' | 'file') => samples.reduce((a, s) => a + s[k], 0) / samples.length;
  return { cpuPct: ((last.cpuS - first.cpuS) / seconds) * 100, rssMean: mean('rss'), rssMax: Math.max(...samples.map((s) => s.rss)), anonMean: mean('anon'), fileMean: mean('file') };
}

const env = new BerthEnv();
const image = bed('BERTH_TEST_IMAGE');

interface Variant { key: 'tree' | 'bundle'; label: string; entry?: string; host: string; talker: string }
function nodeVersion(node: string): string { return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim(); }
const BUNDLE_ENTRY = 'dist/agent-bundle/berth-agent.mjs';
const BUNDLE = join(repoRoot, BUNDLE_ENTRY);
const variants: Variant[] = [
  { key: 'tree' as const, label: '`berth agent` (compiled tree)', host: 'footprint-tree', talker: env.name('talker-tree') },
  { key: 'bundle' as const, label: `agent bundle (berth-agent.mjs${[values['bundle-node'] ? `node ${nodeVersion(values['bundle-node'])}` : '', values['bundle-node-options'] ?? '', values['bundle-node-args'] ?? ''].filter(Boolean).map((x) => `, ${x}`).join('')})`, entry: BUNDLE_ENTRY, host: 'footprint-bundle', talker: env.name('talker-bundle') },
].filter((v) => !values.only || v.key === values.only);
if (variants.some((v) => v.entry) && !existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build:agent first`);

/** The host's containers: the talker writes LINES lines each time /tmp/go appears (the benchmark creates it once a viewer watches), so the lines flow live through the agent rather than from Docker's history. */
function containersOf(v: Variant): string[] {
  const talk = `while true; do while [ ! -e /tmp/go ]; do sleep 1; done; rm -f /tmp/go; yes 'berth footprint log line 0123456789 abcdefghijklmnopqrstuvwxyz' | head -n ${lineTarget}; done`;
  return [
    `- name: ${v.talker}\n  image: ${image}\n  imagePullPolicy: IfNotPresent\n  command: ["sh", "-c", ${JSON.stringify(talk)}]\n  stopTimeoutSeconds: 0\n  logging: { maxSize: 100Mi, maxFiles: 2 }`,
    ...Array.from({ length: count - 1 }, (_, i) =>
      `- name: ${env.name(`${v.key}-idle${i}`)}\n  image: ${image}\n  imagePullPolicy: IfNotPresent\n  command: ["sh", "-c", "exec sleep 2147483647"]\n  stopTimeoutSeconds: 0`),
  ];
}

interface LogOutcome { status: 'measured' | 'pending' | 'failed'; detail: string; lines?: number; seconds?: number; peakRss?: number; cpuS?: number }

/**
 * Open a viewer of the talker's log on the controller's log socket, start the talker, and count lines
 * until LINETARGET arrived (or the stream stalls). The protocol is the one docs/logs.md describes.
 */
async function streamLogs(pid: number, host: string, talker: string): Promise<LogOutcome> {
  const url = new URL('/api/v1/logs/ws', env.url.replace(/^http/, 'ws'));
  for (const [k, v] of Object.entries({ namespace: env.namespace, host, container: talker, tail: '1' })) url.searchParams.set(k, v);
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 64 * 2 ** 20 });
  let lines = 0; let dropped = 0; let unsupported = ''; let lastAt = Date.now();
  const opened = await new Promise<{ ok: true } | { ok: false; why: string }>((resolve) => {
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ ok: false, why: `HTTP ${res.statusCode}: ${body.trim().slice(0, 200)}` }));
    });
    ws.once('open', () => resolve({ ok: true }));
    ws.once('error', (err) => resolve({ ok: false, why: err.message }));
  });
  if (!opened.ok) {
    ws.terminate();
    return { status: 'pending', detail: `the controller has no log socket (${opened.why}): log streaming is not merged yet` };
  }
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string; entries?: unknown[]; dropped?: number; code?: string; message?: string; reason?: string };
    if (m.type === 'lines') { lines += m.entries?.length ?? 0; lastAt = Date.now(); }
    else if (m.type === 'gap') dropped += m.dropped ?? 0;
    else if (m.type === 'error' || m.type === 'waiting') {
      const text = `${m.code ?? ''} ${m.message ?? m.reason ?? ''}`;
      if (/unsupported|does not stream logs/i.test(text)) unsupported = text.trim();
    }
  });
  await sleep(2_000);
  if (unsupported) { ws.close(); return { status: 'pending', detail: `the agent does not stream logs yet (${unsupported})` }; }
  const before = sample(pid);
  const start = Date.now();
  lastAt = start;
  const go = await docker(['exec', talker, 'touch', '/tmp/go']);
  if (go.code !== 0) { ws.close(); return { status: 'failed', detail: `docker exec failed: ${go.stderr}` }; }
  let peakRss = 0;
  const bound = start + Number(values['logs-timeout']) * 1000;
  while (lines + dropped < lineTarget && Date.now() < bound && Date.now() - lastAt < 30_000 && !unsupported) {
    await sleep(500);
    peakRss = Math.max(peakRss, sample(pid).rss);
  }
  const seconds = (lastAt - start) / 1000;
  const after = sample(pid);
  ws.close();
  if (unsupported) return { status: 'pending', detail: `the agent does not stream logs yet (${unsupported})` };
  const complete = lines + dropped >= lineTarget;
  return {
    status: complete ? 'measured' : 'failed', lines, seconds, peakRss: Math.max(peakRss, after.rss), cpuS: after.cpuS - before.cpuS,
    detail: `${lines} lines received${dropped ? `, ${dropped} dropped for the viewer (gap)` : ''} in ${seconds.toFixed(1)} s${complete ? '' : ' — stalled or timed out before the target'}`,
  };
}

// Whatever happens (an uncaught exception included), the controller and agent we started go too.
process.on('exit', () => { for (const c of [env.controller, ...env.agents.values()]) if (c?.pid && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } } });
for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => { void env.cleanup().finally(() => process.exit(130)); });

type Window = Awaited<ReturnType<typeof window>>;
interface Result { v: Variant; idle: Window; rounds: Array<{ logs: LogOutcome; after?: Window }>; hwm: number }

async function measure(v: Variant): Promise<Result> {
  env.write(`${v.host}.yaml`, env.hostYaml(v.host, `containers:\n${containersOf(v).join('\n')}`));
  const nodeOptions = v.key === 'bundle' ? values['bundle-node-options'] : undefined;
  const nodeArgs = v.key === 'bundle' ? values['bundle-node-args']?.split(/\s+/).filter(Boolean) : undefined;
  const node = v.key === 'bundle' ? values['bundle-node'] : undefined;
  const agent = await env.startAgent(v.host, nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}, v.entry ? { entry: v.entry, node, nodeArgs } : {});
  const pid = agent.pid!;
  const t0 = Date.now();
  await env.waitHost(v.host, `${count}/${count} Ready`, (h) => h.status.ready === `${count}/${count}` && condition(h, 'Ready')?.status === 'True', 300_000);
  log(`${v.label}: ${count} containers Ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; settling 10 s, then measuring idle for ${idleS} s`);
  await sleep(10_000);
  const idle = await window(pid, idleS);
  log(`${v.label}: idle: ${idle.cpuPct.toFixed(2)} % of a core, RSS mean ${mb(idle.rssMean)} (anon ${mb(idle.anonMean)}, file ${mb(idle.fileMean)}), max ${mb(idle.rssMax)}`);
  const rounds: Result['rounds'] = [];
  for (let round = 1; round <= Number(values.rounds); round++) {
    const logs = await streamLogs(pid, v.host, v.talker);
    log(`${v.label}: logs round ${round}: ${logs.status}: ${logs.detail}`);
    if (logs.status !== 'measured') { rounds.push({ logs }); break; }
    // The controller keeps an idle agent stream open for its grace period (10 s), and V8 gives
    // memory back lazily: wait, then measure the same idle window again.
    await sleep(20_000);
    const after = await window(pid, idleS);
    log(`${v.label}: idle after round ${round}: ${after.cpuPct.toFixed(2)} % of a core, RSS mean ${mb(after.rssMean)} (anon ${mb(after.anonMean)}, file ${mb(after.fileMean)}), max ${mb(after.rssMax)}`);
    rounds.push({ logs, after });
  }
  const hwm = sample(pid).hwm;
  await env.kill(agent, 'SIGTERM');
  return { v, idle, rounds, hwm };
}

try {
  await env.startController();
  const results: Result[] = [];
  for (const v of variants) results.push(await measure(v));

  console.log(`\nbench/agent-footprint — one real agent at a time, ${count} busybox containers each, on the test bed's dockerd\n`);
  console.log('| agent | phase | window | agent CPU | agent RSS (mean) | of it anon / file-backed | agent RSS (max) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const { v, idle, rounds } of results) {
    console.log(`| ${v.label} | idle, converged | ${idleS} s | ${idle.cpuPct.toFixed(2)} % of a core | ${mb(idle.rssMean)} | ${mb(idle.anonMean)} / ${mb(idle.fileMean)} | ${mb(idle.rssMax)} |`);
    for (const [i, { logs, after }] of rounds.entries()) {
      if (logs.status === 'measured' && after) {
        console.log(`| ${v.label} | round ${i + 1}: streaming ${lineTarget.toLocaleString('en')} log lines | ${logs.seconds!.toFixed(1)} s | ${((logs.cpuS! / logs.seconds!) * 100).toFixed(1)} % of a core | — | — | ${mb(logs.peakRss!)} |`);
        console.log(`| ${v.label} | idle after round ${i + 1} | ${idleS} s | ${after.cpuPct.toFixed(2)} % of a core | ${mb(after.rssMean)} | ${mb(after.anonMean)} / ${mb(after.fileMean)} | ${mb(after.rssMax)} |`);
      } else {
        console.log(`| ${v.label} | after streaming ${lineTarget.toLocaleString('en')} log lines | — | ${logs.status} | — | — | — |`);
      }
    }
  }
  for (const { v, rounds, hwm } of results) {
    for (const [i, { logs }] of rounds.entries()) console.log(`\n${v.label}: logs round ${i + 1}: ${logs.status}: ${logs.detail}`);
    const measured = rounds.filter((r) => r.after);
    if (measured.length >= 2) console.log(`${v.label}: RSS growth idle-after-round-1 → idle-after-round-${measured.length}: ${mb(measured.at(-1)!.after!.rssMean - measured[0]!.after!.rssMean)}`);
    console.log(`${v.label}: peak RSS over the run (VmHWM): ${mb(hwm)}`);
  }
  const tree = results.find((r) => r.v.key === 'tree'); const bundle = results.find((r) => r.v.key === 'bundle');
  if (tree && bundle) console.log(`\nbundle / tree: idle RSS ${(bundle.idle.rssMean / tree.idle.rssMean).toFixed(2)}x, peak RSS ${(bundle.hwm / tree.hwm).toFixed(2)}x, idle CPU ${(bundle.idle.cpuPct / Math.max(tree.idle.cpuPct, 1e-9)).toFixed(2)}x`);
  console.log('targets: the bundle\'s idle RSS ≤ 50 MB, idle CPU ≤ 1 % of a core; no RSS growth after streaming 1M lines');
} finally {
  await env.cleanup();
}
process.exit(0);
