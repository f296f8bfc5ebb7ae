// The long form of the chaos and fuzz proofs (the short forms run in `npm test`):
//
//   npm run chaos                                   (needs the test bed: bash test/env/testbed.sh up)
//   node dist/test/chaos/long.js --rounds 20 --containers 30 --cuts 50 --frames 10000 [--seed N] [--no-dockerd]
//
// Runs each scenario once with the given sizes, prints a line per round/step and a summary of the
// figures, and exits non-zero if any proof failed. --no-dockerd skips the dockerd restart (it
// disturbs everyone else using the machine's dockerd).
import { parseScriptArgs } from '../../bench/args.js';
import { floodHub, fuzzAgent, fuzzHub, mb } from './fuzz-drivers.js';
import { connectionCuts, controllerKills, dockerdRestart } from './scenarios.js';

const values = parseScriptArgs(import.meta.url, {
  rounds: { type: 'string', default: '20' }, containers: { type: 'string', default: '30' }, cuts: { type: 'string', default: '50' },
  frames: { type: 'string', default: '10000' }, seed: { type: 'string' }, 'no-dockerd': { type: 'boolean', default: false },
});
const rounds = Number(values.rounds);
const containers = Number(values.containers);
const cuts = Number(values.cuts);
const frames = Number(values.frames);
const seed = values.seed !== undefined ? Number(values.seed) >>> 0 : Math.floor(Math.random() * 2 ** 32);
for (const [name, v] of Object.entries({ rounds, containers, cuts, frames })) {
  if (!Number.isInteger(v) || v < 1) { console.error(`--${name} must be a positive integer`); process.exit(2); }
}

const failures: string[] = [];
const check = (ok: boolean, what: string) => { if (!ok) failures.push(what); };
const summary: string[] = [];
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN; };
const started = Date.now();

console.log(`chaos long form: seed ${seed} (replay with --seed ${seed}); ${rounds} kill rounds × ${containers} containers, ${cuts} cuts, ${frames} fuzz frames per target`);

console.log(`\n[1] SIGKILL the controller during a ${containers}-container reconcile, ${rounds} rounds`);
const kills = await controllerKills({ rounds, containers, seed, log: console.log });
const conv = kills.map((r) => r.restartToConvergedMs);
const dups = kills.reduce((n, r) => n + r.duplicates, 0);
const orphans = kills.reduce((n, r) => n + r.orphans, 0);
const repeated = kills.flatMap((r) => r.repeatedActions);
check(dups === 0, `controller kills: ${dups} duplicates`);
check(orphans === 0, `controller kills: ${orphans} orphans`);
check(repeated.length === 0, `controller kills: repeated actions ${repeated.join(', ')}`);
check(Math.max(...conv) <= 15_000, `controller kills: slowest convergence ${Math.max(...conv)} ms > 15 s`);
summary.push(`controller SIGKILL   ${rounds} rounds × ${containers} containers: duplicates ${dups}, orphans ${orphans}, repeated actions ${repeated.length}; restart → converged median ${pct(conv, 50)} ms, p90 ${pct(conv, 90)} ms, max ${Math.max(...conv)} ms (agent back: median ${pct(kills.map((r) => r.agentBackMs), 50)} ms)`);

console.log(`\n[2] cut the agent's connection ${cuts} times (TCP proxy), ${containers} containers`);
const cut = await connectionCuts({ cuts, containers, seed, log: console.log });
check(cut.repeatedActions.length === 0, `connection cuts: repeated actions ${cut.repeatedActions.join(', ')}`);
check(cut.replacedUnchanged.length === 0, `connection cuts: unchanged containers replaced ${cut.replacedUnchanged.join(', ')}`);
check(cut.duplicates === 0 && cut.orphans === 0, `connection cuts: duplicates ${cut.duplicates}, orphans ${cut.orphans}`);
summary.push(`connection cuts      ${cut.cuts} cuts over ${cut.connections} connections: converged ${cut.convergedAfterLastCutMs} ms after the last cut; ${cut.changed} created/recreated exactly once, ${cut.removed} removed once, ${cut.unchanged} untouched; repeated actions ${cut.repeatedActions.length}`);

console.log(`\n[3] protocol fuzz at the hub (${frames} frames) and floods`);
const hub = await fuzzHub({ frames, seed, log: console.log });
check(hub.mismatches.length === 0 && hub.alive, `hub fuzz: ${hub.mismatches.length} mismatches, alive ${hub.alive}: ${hub.mismatches.slice(0, 3).join(' | ')}`);
summary.push(`hub fuzz             ${hub.frames} frames, ${hub.connections} connections, ${(hub.ms / 1000).toFixed(1)} s: ${hub.errorsReceived}/${hub.errorsExpected} error replies as expected, mismatches ${hub.mismatches.length}; closes ${JSON.stringify(hub.closes)}; controller RSS ${mb(hub.rssBeforeBytes)} → ${mb(hub.rssAfterBytes)} (peak ${mb(hub.rssPeakBytes)})`);
const flood = await floodHub({ invalid: 1000, valid: 20_000, log: console.log });
check(flood.invalidClose?.code === 4004 && flood.validOpen && flood.validReceived === 20_000 && flood.alive, 'hub floods: not closed/throttled as expected');
summary.push(`hub floods           1000 invalid → close ${flood.invalidClose?.code} "${flood.invalidClose?.reason}"; 20000 valid → all received in ${(flood.validMs / 1000).toFixed(1)} s, ${flood.throttled} throttling episodes, connection kept, worst /healthz ${flood.healthzWorstMs} ms`);

console.log(`\n[4] protocol fuzz at the agent (${frames} frames)`);
const agent = await fuzzAgent({ frames, seed, log: console.log });
check(agent.mismatches.length === 0 && agent.alive, `agent fuzz: ${agent.mismatches.length} mismatches, alive ${agent.alive}: ${agent.mismatches.slice(0, 3).join(' | ')}`);
summary.push(`agent fuzz           ${agent.frames} frames, ${(agent.ms / 1000).toFixed(1)} s: ${agent.errorsReceived}/${agent.errorsExpected} error replies as expected, mismatches ${agent.mismatches.length}; closes ${JSON.stringify(agent.closes)} then reconnected; agent RSS ${mb(agent.rssBeforeBytes)} → ${mb(agent.rssAfterBytes)} (peak ${mb(agent.rssPeakBytes)})`);

if (!values['no-dockerd']) {
  console.log('\n[5] restart dockerd');
  const d = await dockerdRestart({ containers: 5, log: console.log });
  check(d.sameIds && d.duplicates === 0, 'dockerd restart: containers recreated or duplicated');
  summary.push(`dockerd restart      dockerd back in ${d.daemonRestartMs} ms; Berth converged ${d.recoveredMs} ms later with the same containers: ${d.sameIds}; a new container ran ${d.createdAfterMs} ms after it was declared`);
}

console.log(`\nsummary (seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s):`);
for (const line of summary) console.log(`  ${line}`);
if (failures.length) {
  console.log(`\nFAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
  process.exit(1);
}
console.log('\nall proofs held');
