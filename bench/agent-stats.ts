// bench/agent-stats: what container stats cost one real agent, and which way of asking the Engine
// costs least. A real controller (directory mode) and a real `berth agent` process on the test bed's
// dockerd, managing 50 busybox containers (--containers); measured from /proc:
//   1. the agent's CPU (% of one core) and RSS over --window seconds without stats
//      (BERTH_STATS_INTERVAL=0), then again after a restart with stats every 10 s (--interval);
//      the goal is at most 1 % of a core more;
//   2. the two ways of reading the Engine's stats, from this process, with dockerd's CPU beside it:
//      one-shot polling (GET /containers/{id}/stats?stream=false&one-shot=true per container per
//      interval — what the agent does) against one open stream per container (the Engine pushes a
//      sample every second); the ratio of the two is the figure that chose polling.
// Figures on the shared 2-core bed are noisy: compare the ratios within one run.
//
//   npm run build && node dist/bench/agent-stats.js [--containers 50] [--window 60] [--interval 10]
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { DockerStats } from '../agent/docker-stats.js';
import { BerthEnv, condition } from '../test/support/berth-env.js';
import { bed } from '../test/support/testbed.js';
import { parseScriptArgs } from './args.js';

const values = parseScriptArgs(import.meta.url, {
  containers: { type: 'string', default: '50' },
  window: { type: 'string', default: '60' },
  interval: { type: 'string', default: '10' },
});
const count = Number(values.containers);
const windowS = Number(values.window);
const intervalS = Number(values.interval);
const CLK_TCK = 100;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (msg: string) => console.error(`[agent-stats ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}
const rssOf = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
/** The bed's main dockerd (its pidfile), whose CPU the Engine side of stats costs. */
const dockerdPid = Number(readFileSync('/var/run/docker.pid', 'utf8').trim());

async function measure(pid: number, seconds: number): Promise<{ cpuPct: number; dockerdPct: number; rss: number }> {
  const [a, d] = [cpuSeconds(pid), cpuSeconds(dockerdPid)];
  await sleep(seconds * 1000);
  return { cpuPct: ((cpuSeconds(pid) - a) / seconds) * 100, dockerdPct: ((cpuSeconds(dockerdPid) - d) / seconds) * 100, rss: rssOf(pid) };
}

const env = new BerthEnv();
const host = 'statsbench';
const image = bed('BERTH_TEST_IMAGE');
const containers = Array.from({ length: count }, (_, i) =>
  `- name: ${env.name(`c${i}`)}\n  image: ${image}\n  imagePullPolicy: IfNotPresent\n  command: ["sh", "-c", "exec sleep 2147483647"]\n  stopTimeoutSeconds: 0`);

process.on('exit', () => { for (const c of [env.controller, ...env.agents.values()]) if (c?.pid && c.exitCode === null) { try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ } } });
for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => { void env.cleanup().finally(() => process.exit(130)); });

try {
  env.write('host.yaml', env.hostYaml(host, `containers:\n${containers.join('\n')}`));
  await env.startController();
  let agent = await env.startAgent(host, { BERTH_STATS_INTERVAL: '0' });
  await env.waitHost(host, `${count}/${count} Ready`, (h) => h.status.ready === `${count}/${count}` && condition(h, 'Ready')?.status === 'True', 300_000);
  log(`${count} containers Ready; settling 10 s, then ${windowS} s without stats`);
  await sleep(10_000);
  const off = await measure(agent.pid!, windowS);
  await env.kill(agent, 'SIGTERM');
  agent = await env.startAgent(host, { BERTH_STATS_INTERVAL: String(intervalS) });
  await env.waitReady(host);
  log(`agent restarted with stats every ${intervalS} s; settling ${intervalS + 5} s, then ${windowS} s`);
  await sleep((intervalS + 5) * 1000);
  const on = await measure(agent.pid!, windowS);
  await env.kill(agent, 'SIGTERM');

  // Part 2: the two ways of asking, from this process (the agent is stopped: nothing else asks).
  const docker = new Docker();
  const sampler = new DockerStats({ hostKey: `${env.namespace}/${host}` });
  await sampler.sample();
  let polled = 0;
  const pollCpu0 = process.cpuUsage();
  const d0 = cpuSeconds(dockerdPid);
  const until = Date.now() + windowS * 1000;
  while (Date.now() < until) { polled += (await sampler.sample()).length; await sleep(intervalS * 1000); }
  const pollCpu = process.cpuUsage(pollCpu0);
  const pollDockerd = ((cpuSeconds(dockerdPid) - d0) / windowS) * 100;
  const pollPct = ((pollCpu.user + pollCpu.system) / 1e6 / windowS) * 100;

  const list = await docker.listContainers({ filters: { label: [`berth.dev/host=${env.namespace}/${host}`] } });
  let streamed = 0;
  const streams = await Promise.all(list.map(async (c) => {
    const s = await docker.getContainer(c.Id).stats({ stream: true }) as NodeJS.ReadableStream & { destroy(): void };
    let buf = '';
    s.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) { JSON.parse(buf.slice(0, nl)); buf = buf.slice(nl + 1); streamed++; }
    });
    return s;
  }));
  await sleep(3000);
  const streamCpu0 = process.cpuUsage();
  const d1 = cpuSeconds(dockerdPid);
  const streamedBefore = streamed;
  await sleep(windowS * 1000);
  const streamCpu = process.cpuUsage(streamCpu0);
  const streamDockerd = ((cpuSeconds(dockerdPid) - d1) / windowS) * 100;
  const streamPct = ((streamCpu.user + streamCpu.system) / 1e6 / windowS) * 100;
  for (const s of streams) s.destroy();

  const f = (n: number) => n.toFixed(2);
  console.log(JSON.stringify({
    containers: count, windowSeconds: windowS, intervalSeconds: intervalS,
    agent: {
      withoutStats: { cpuPctOfCore: +f(off.cpuPct), rssMB: +(off.rss / 1e6).toFixed(1), dockerdPctOfCore: +f(off.dockerdPct) },
      withStats: { cpuPctOfCore: +f(on.cpuPct), rssMB: +(on.rss / 1e6).toFixed(1), dockerdPctOfCore: +f(on.dockerdPct) },
      extraCpuPctOfCore: +f(on.cpuPct - off.cpuPct), goalExtraCpuPctOfCore: 1,
    },
    engineModes: {
      oneShotPolling: { samples: polled, clientCpuPctOfCore: +f(pollPct), dockerdPctOfCore: +f(pollDockerd) },
      streamPerContainer: { samples: streamed - streamedBefore, clientCpuPctOfCore: +f(streamPct), dockerdPctOfCore: +f(streamDockerd) },
      streamOverPollingClientCpu: +(streamPct / Math.max(pollPct, 0.01)).toFixed(1),
      streamOverPollingDockerdCpu: +(streamDockerd / Math.max(pollDockerd, 0.01)).toFixed(1),
    },
  }, null, 2));
} finally {
  await env.cleanup();
}
