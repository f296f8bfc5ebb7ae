// Chaos, short form (the long form: `npm run chaos`): SIGKILL the real controller process at random
// moments of a reconcile, restart it, and prove 0 duplicate containers, 0 orphans, every change
// applied exactly once (Docker's own events), and convergence within 15 s of the restart.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { controllerKills } from './scenarios.js';
import { chaosSeed } from './support.js';

test('controller SIGKILLed mid-reconcile (3 rounds, 10 containers): no duplicates, no orphans, converged ≤ 15 s after the restart', async () => {
  const seed = chaosSeed('controller-kill');
  const rounds = await controllerKills({ rounds: 3, containers: 10, seed, log: console.log });
  assert.is(rounds.length, 3);
  for (const r of rounds) {
    const at = `round ${r.round} (seed ${seed})`;
    assert.is(r.duplicates, 0, `${at}: duplicates`);
    assert.is(r.orphans, 0, `${at}: orphans`);
    assert.equal(r.repeatedActions, [], `${at}: every change applied exactly once`);
    assert.ok(r.restartToConvergedMs <= 15_000, `${at}: converged ${r.restartToConvergedMs} ms after the restart (bound 15 s)`);
  }
});

test.run();
