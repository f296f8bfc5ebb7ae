// bench/failover: how long a leader failover takes in Kubernetes mode, end to end — from the moment
// the leading `berth controller --kube` is killed to (a) the standby leading (/readyz 200), (b) the
// agent reconnected to it, and (c) a spec change made right after the kill applied on Docker (a new
// container running). Two real controller replicas with the default Lease timings (15 s lease, 10 s
// renew deadline, 2 s retry) behind a ready-following TCP proxy (a Service's stand-in: new
// connections go to the replica whose /readyz is 200), the bed's apiserver, a real agent, dockerd.
// After each round the killed replica is started again as the next standby.
//
//   npm run bench:failover                          # 3 rounds, SIGKILL (a crash: the Lease must expire)
//   npm run bench:failover -- --signal TERM         # a rolling update: SIGTERM releases the Lease
//   npm run bench:failover -- --rounds 5 --containers 10
//
// Options: --rounds N (default 3), --signal KILL|TERM (default KILL), --containers N (the host's
// containers before the change, default 3), --stable-ms MS (the agent's reconnect backoff treats a
// connection older than this as stable and starts again from 0.5 s; default 1000, modelling an
// agent connected for a long time — the real default is 60 s, so a freshly connected agent may back
// off longer). Prints each round and the median and worst. Needs the test bed; asserts nothing.
import { parseScriptArgs } from './args.js';
import { until } from '../test/support/berth-env.js';
import { docker } from '../test/support/docker.js';
import { KubeBerth, metricsText, metricValue, readyz, type ControllerProc } from '../test/support/kube-berth.js';
import { ReadyProxy } from '../test/support/ready-proxy.js';

const values = parseScriptArgs(import.meta.url, {
  rounds: { type: 'string', default: '3' }, signal: { type: 'string', default: 'KILL' },
  containers: { type: 'string', default: '3' }, 'stable-ms': { type: 'string', default: '1000' },
});
const ROUNDS = Number(values.rounds);
const CONTAINERS = Number(values.containers);
const STABLE_MS = Number(values['stable-ms']);
const SIGNAL = `SIG${values.signal.toUpperCase().replace(/^SIG/, '')}` as NodeJS.Signals;
const bad = (k: string, v: unknown) => { console.error(`--${k} is invalid: "${String(v)}" (see --help)`); process.exit(2); };
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS <= 50)) bad('rounds', values.rounds);
if (!(Number.isInteger(CONTAINERS) && CONTAINERS >= 1 && CONTAINERS <= 50)) bad('containers', values.containers);
if (!(Number.isInteger(STABLE_MS) && STABLE_MS >= 0)) bad('stable-ms', values['stable-ms']);
if (SIGNAL !== 'SIGKILL' && SIGNAL !== 'SIGTERM') bad('signal', values.signal);

const kb = new KubeBerth('bench-failover');
const proxy = new ReadyProxy();
const host = 'fo';
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };

process.on('exit', () => { for (const p of kb.procs) { try { p.child.kill('SIGKILL'); } catch { /* gone */ } } });
try {
  await kb.setup();
  const proxyUrl = await proxy.start();
  const replicas: ControllerProc[] = [];
  const start = async () => { const c = await kb.startController({ agentUrl: proxyUrl }); replicas.push(c); proxy.backends = replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null).map((r) => r.url); return c; };
  let leader = await start();
  await kb.waitLeader(leader);
  let standby = await start();
  const containers = Array.from({ length: CONTAINERS }, (_, i) => kb.sleeper(`c${i}`));
  await kb.apply(kb.hostYaml(host, containers.join('\n')));
  await kb.startAgent(host, proxyUrl, { backoff: { stableMs: STABLE_MS } });
  await kb.waitCondition(host, 'Ready', 'True', undefined, 120_000);
  const rows: Array<{ lead: number; agent: number; applied: number }> = [];
  console.log(`bench/failover — ${SIGNAL} of the leader, ${ROUNDS} round(s), ${CONTAINERS} containers + 1 added per round; Lease 15 s / renew 10 s / retry 2 s\n`);
  for (let round = 1; round <= ROUNDS; round++) {
    // The standby has read the Lease at least once, as it would have in a long-running pair.
    await until('the standby watching the Lease', () => standby.lines().some((l) => l.msg === 'lease holder observed'), 30_000, 100);
    await new Promise((r) => setTimeout(r, Math.max(STABLE_MS, 1_000) + 500)); // the agent's connection is "stable"
    const added = kb.name(`x${round}`);
    const killedAt = Date.now();
    leader.child.kill(SIGNAL);
    containers.push(kb.sleeper(`x${round}`));
    await kb.apply(kb.hostYaml(host, containers.join('\n')));
    const lead = await until('the standby leads', async () => ((await readyz(standby.url)) === 200 ? Date.now() : undefined), 60_000, 100);
    const agent = await until('the agent on the new leader', async () => (metricValue(await metricsText(standby.url), 'berth_hub_connected_agents') === 1 ? Date.now() : undefined), 90_000, 100);
    const applied = await until('the change applied', async () => {
      const r = await docker(['inspect', '-f', '{{.State.Running}}', added]);
      return r.code === 0 && r.stdout.trim() === 'true' ? Date.now() : undefined;
    }, 90_000, 100);
    const row = { lead: lead - killedAt, agent: agent - killedAt, applied: applied - killedAt };
    rows.push(row);
    console.log(`round ${round}: standby leads ${seconds(row.lead)} s, agent reconnected ${seconds(row.agent)} s, change applied ${seconds(row.applied)} s after the ${SIGNAL}`);
    await new Promise<void>((r) => { if (leader.child.exitCode !== null || leader.child.signalCode !== null) r(); else leader.child.once('exit', () => r()); });
    leader = standby;
    standby = await start();
  }
  const col = (k: 'lead' | 'agent' | 'applied') => `median ${seconds(median(rows.map((r) => r[k])))} s, worst ${seconds(Math.max(...rows.map((r) => r[k])))} s`;
  console.log(`\nstandby leads:      ${col('lead')}`);
  console.log(`agent reconnected:  ${col('agent')}`);
  console.log(`change applied:     ${col('applied')}   (goal < 20 s)`);
} finally {
  await proxy.stop();
  await kb.cleanup();
}
process.exit(0);
