// Smoke tests of the test bed's extra Node releases (component `node`): each pinned binary runs, is
// the major its variable names, and runs Berth's own compiled code (the CLI's --help) — so a test run
// on it (`bash test/env/run-on-node.sh 24`) fails for Berth's reasons, not the binary's.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { bed } from '../support/testbed.js';
import { repoRoot } from '../support/paths.js';
import { run } from '../support/kube.js';

for (const major of ['22', '24']) {
  test(`BERTH_TEST_NODE_${major} is a working Node ${major} that runs Berth's CLI`, async () => {
    const bin = bed(`BERTH_TEST_NODE_${major}`);
    const v = await run(bin, ['-p', 'process.versions.node + " " + process.arch']);
    assert.is(v.code, 0, v.stderr);
    assert.match(v.stdout.trim(), new RegExp(`^${major}\\.\\d+\\.\\d+ x64$`));
    const help = await run(bin, [join(repoRoot, 'bin/berth.js'), '--help']);
    assert.is(help.code, 0, help.stderr);
    assert.match(help.stdout, /berth/i);
  });
}

test.run();
