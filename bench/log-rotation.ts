// bench/log-rotation: where duplicated and lost log lines come from when a container's json-file
// log rotates while it is followed. One container prints numbered lines; three readers follow it
// at the same time: (a) `docker logs -f`, (b) the agent's DockerLogStreams alone, (c) a viewer of
// the controller's /api/v1/logs/ws through the real agent. Prints duplicates and losses for each;
// asserts nothing (test/system/log-rotation.test.ts asserts Berth is no worse than (a)).
//
//   npm run bench:log-rotation -- --lines 200000 --batch 200000 --max-size 20Mi   (one burst, one rotation)
//   npm run bench:log-rotation -- --lines 20000 --batch 100 --pause-ms 50 --max-size 256Ki
//
// Options: --lines N (numbered lines printed, default 200000), --batch N (lines per burst, default
// all in one), --pause-ms MS (between bursts, default 0), --max-size Q (logging.maxSize: bytes or a
// quantity like 20Mi, default 20Mi), --max-files N (logging.maxFiles, default 3). Needs the test bed.
import { BerthEnv } from '../test/support/berth-env.js';
import { dockerOk } from '../test/support/docker.js';
import { PROBE_LINE_BYTES, probeRotation, rotatingTalker } from '../test/support/rotation-probe.js';
import { describeCount } from '../test/support/sequence.js';
import { parseScriptArgs } from './args.js';

const values = parseScriptArgs(import.meta.url, {
  lines: { type: 'string', default: '200000' }, batch: { type: 'string' }, 'pause-ms': { type: 'string', default: '0' },
  'max-size': { type: 'string', default: '20Mi' }, 'max-files': { type: 'string', default: '3' },
});
const LINES = Number(values.lines);
const BATCH = values.batch === undefined ? LINES : Number(values.batch);
const PAUSE_MS = Number(values['pause-ms']);
const MAX_FILES = Number(values['max-files']);
const bad = (k: string, v: unknown) => { console.error(`--${k} is invalid: "${String(v)}" (see --help)`); process.exit(2); };
if (!(Number.isInteger(LINES) && LINES > 0 && LINES < 1e8)) bad('lines', values.lines);
if (!(Number.isInteger(BATCH) && BATCH > 0)) bad('batch', values.batch);
if (!(PAUSE_MS >= 0)) bad('pause-ms', values['pause-ms']);
if (!(Number.isInteger(MAX_FILES) && MAX_FILES >= 1 && MAX_FILES <= 100)) bad('max-files', values['max-files']);
const maxSize = /^\d+$/.test(values['max-size']) ? Number(values['max-size']) : values['max-size'];
if (!/^\d+(Ki|Mi|Gi)?$/.test(String(maxSize))) bad('max-size', values['max-size']);

const env = new BerthEnv();
const host = 'rotation';
const talker = env.name('rotor');

process.on('exit', () => { for (const c of [env.controller, ...env.agents.values()]) if (c?.pid && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } } });
try {
  env.write('host.yaml', env.hostYaml(host, `containers:\n${rotatingTalker(talker, maxSize, MAX_FILES)}`));
  await env.startController();
  await env.startAgent(host);
  await env.waitReady(host);
  const timeoutMs = Math.max(60_000, LINES / 5);
  const r = await probeRotation(env, host, talker, { lines: LINES, batch: BATCH, pauseMs: PAUSE_MS, timeoutMs });
  const engine = (await dockerOk(['version', '--format', '{{.Server.Version}}'])).trim();
  console.log(`\nbench/log-rotation — ${LINES.toLocaleString('en-US')} lines of ${PROBE_LINE_BYTES} bytes, ${BATCH === LINES ? 'one burst' : `bursts of ${BATCH} every ${PAUSE_MS} ms`}, json-file maxSize ${maxSize}, maxFiles ${MAX_FILES}; Docker ${engine}; ${r.seconds.toFixed(1)} s\n`);
  console.log(`(a) docker logs -f:        ${describeCount(r.docker)}`);
  console.log(`(b) agent DockerLogStreams: ${describeCount(r.agent)}`);
  console.log(`(c) Berth viewer:          ${describeCount(r.viewer)}`);
  console.log(`agent streams re-requested by the controller meanwhile (resumes): ${r.reopened ?? 'unknown'}`);
} finally {
  await env.cleanup();
}
process.exit(0);
