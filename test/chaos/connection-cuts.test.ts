// Chaos, short form (the long form: `npm run chaos`): a TCP proxy between agent and controller cuts
// the connection at random moments while spec changes are applied. Converged afterwards, and no
// action was applied twice with a visible effect: Docker's events show exactly one create and one
// start per changed container, one destroy per removed or replaced one, and nothing at all for the
// containers whose spec did not change (their IDs are the same).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectionCuts } from './scenarios.js';
import { chaosSeed } from './support.js';

test('10 random connection cuts during two waves of changes: converged, nothing applied twice, unchanged containers untouched', async () => {
  const seed = chaosSeed('connection-cuts');
  const r = await connectionCuts({ cuts: 10, containers: 10, seed, log: console.log });
  assert.is(r.cuts, 10, `seed ${seed}: cuts made`);
  assert.ok(r.connections > 10, `seed ${seed}: the agent reconnected after every cut`);
  assert.is(r.duplicates, 0, `seed ${seed}: duplicates`);
  assert.is(r.orphans, 0, `seed ${seed}: orphans`);
  assert.equal(r.repeatedActions, [], `seed ${seed}: each change applied exactly once`);
  assert.equal(r.replacedUnchanged, [], `seed ${seed}: unchanged containers kept their IDs`);
  assert.ok(r.unchanged > 0 && r.changed > 0);
});

test.run();
