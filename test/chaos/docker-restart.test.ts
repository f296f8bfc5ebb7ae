// Chaos: the bed's dockerd restarts under a running host (the apiserver-restart counterparts are
// test/kube/kube-store-chaos.test.ts and test/kube/mode.test.ts). Berth must recover by itself:
// Ready again with the SAME containers (Docker's restart policy brings them back; Berth must not
// recreate them), and a change made afterwards is applied (the agent's Docker client and event
// stream are back). This restarts the machine-wide dockerd: other users of the bed feel it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerdRestart } from './scenarios.js';

test('dockerd restart: recovered with the same containers, no duplicates, and later changes applied', async () => {
  const r = await dockerdRestart({ containers: 3, log: console.log });
  assert.ok(r.sameIds, `no container was recreated (${r.idChange ?? ''})`);
  assert.is(r.duplicates, 0);
});

test.run();
