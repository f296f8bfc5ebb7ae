// Duplicates and losses across json-file rotations, counted for three readers following one
// container at the same time: (a) `docker logs -f`, (b) the agent's DockerLogStreams alone (in this
// process, its own Docker stream), (c) a viewer of the controller's log socket (through the real
// agent). The container prints numbered lines, so every duplicate and every loss is countable.
// Used by test/system/log-rotation.test.ts and bench/log-rotation.ts.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import { DockerLogStreams } from '../../agent/docker-logs.js';
import { until, type BerthEnv } from './berth-env.js';
import { dockerOk } from './docker.js';
import { LogViewer, logUrl, metric } from './log-viewer.js';
import { countSequence, type SequenceCount } from './sequence.js';
import { bed } from './testbed.js';

/** Bytes of one printed line, newline included. */
export const PROBE_LINE_BYTES = 64;

// Waits for /tmp/go ("N BATCH USLEEP"), then prints lines 1..N ("%08d …"), BATCH at a time (one awk
// run: a burst) with USLEEP microseconds between bursts; then waits for the next /tmp/go.
const TALK = 'trap "exit 0" TERM; while true; do while [ ! -e /tmp/go ]; do sleep 0.1; done; set -- $(cat /tmp/go); rm -f /tmp/go; '
  + 'i=0; while [ $i -lt $1 ]; do awk -v a=$i -v b=$2 -v n=$1 \'BEGIN{for(i=a+1;i<=a+b && i<=n;i++) printf "%08d berth rotation probe line 0123456789 abcdefghijklmnopqr\\n", i}\'; '
  + 'i=$((i+$2)); [ $3 -gt 0 ] && usleep $3; done; done';

/** The talker as a ContainerHost spec entry, its json-file log rotating at MAXSIZE bytes. */
export function rotatingTalker(name: string, maxSize: number | string, maxFiles = 3): string {
  return `- name: ${name}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", ${JSON.stringify(TALK)}]
  stopTimeoutSeconds: 1
  logging: { maxSize: ${maxSize}, maxFiles: ${maxFiles} }`;
}

export interface ProbeOptions {
  lines: number;
  /** Lines per burst (all of them: one burst). */
  batch: number;
  /** Pause between bursts. */
  pauseMs: number;
  /** How long all readers must have been quiet to call it done (default 2 s). */
  quietMs?: number;
  /** Give up after this long (default 50 s). */
  timeoutMs?: number;
}

export interface ProbeResult {
  docker: SequenceCount;
  agent: SequenceCount;
  viewer: SequenceCount;
  /** Agent streams the controller opened while the lines flowed (a re-request = a resume). */
  reopened: number | undefined;
  seconds: number;
}

const lineNumber = (l: string) => Number(l.slice(0, 8));

class Reader {
  readonly numbers: number[] = [];
  lastAt = Date.now();
  add(n: number): void { this.numbers.push(n); this.lastAt = Date.now(); }
}

/** Follow TALKER (declared on HOST of ENV, agent running) three ways while it prints; count. */
export async function probeRotation(env: BerthEnv, host: string, talker: string, o: ProbeOptions): Promise<ProbeResult> {
  const [a, b, c] = [new Reader(), new Reader(), new Reader()];
  const cli = spawn('docker', ['logs', '-f', '--tail', '0', talker], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'ignore'] });
  createInterface({ input: cli.stdout }).on('line', (l) => a.add(lineNumber(l)));
  const streams = new DockerLogStreams({ hostKey: `${env.namespace}/${host}`, docker: new Docker() });
  streams.open({ type: 'logs', stream: 'probe', name: talker, tail: 0, follow: true }, (f) => {
    if (f.type === 'log') for (const e of f.entries) b.add(lineNumber(e.l));
  });
  const viewer = await LogViewer.open(logUrl(env.url, { namespace: env.namespace, host, container: talker, tail: 0 }), {
    keep: false, onLines: (entries) => { for (const e of entries) c.add(lineNumber(e.l)); },
  });
  const quiet = o.quietMs ?? 2000;
  let started = Date.now();
  let opened: number | undefined;
  try {
    // tail 0: every reader must follow Docker before the first line is written.
    await until('the agent stream of the viewer', async () => (await metric(env.url, 'berth_log_agent_streams') ?? 0) >= 1, 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    opened = await metric(env.url, 'berth_log_agent_streams_opened_total');
    started = Date.now();
    await dockerOk(['exec', talker, 'sh', '-c', `echo "${o.lines} ${o.batch} ${Math.round(o.pauseMs * 1000)}" > /tmp/go`]);
    // Done when every reader had line N (or stalled) and nothing more came for QUIET: Docker's
    // re-read after the last rotation may come after line N.
    await until('the three readers to go quiet', () => [a, b, c].every((r) => {
      const idle = Date.now() - Math.max(r.lastAt, started);
      return idle > quiet && (r.numbers.includes(o.lines) || idle > 3 * quiet);
    }), o.timeoutMs ?? 50_000, 250);
  } finally {
    cli.kill();
    streams.closeAll();
    await viewer.close();
  }
  const openedAfter = await metric(env.url, 'berth_log_agent_streams_opened_total');
  return {
    docker: countSequence(a.numbers, o.lines), agent: countSequence(b.numbers, o.lines), viewer: countSequence(c.numbers, o.lines),
    reopened: opened === undefined || openedAfter === undefined ? undefined : openedAfter - opened,
    seconds: (Math.max(a.lastAt, b.lastAt, c.lastAt) - started) / 1000,
  };
}
