import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentCeilingFromCli } from './agent-ceiling.js';
import { UsageError } from './usage.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-agent-ceiling-'));

/** The error a promise rejects with (uvu has no assert.rejects). */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (err) { return err as Error; }
  throw new Error('expected a rejection');
}

test('default: deny all, host view detected later', async () => {
  assert.equal(await agentCeilingFromCli({}, {}), { ceiling: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }, hostView: undefined });
});

test('a policy file from BERTH_POLICY_FILE adds to the flags; --host-root must be a directory', async () => {
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, 'allowedHostPaths: [/srv]\nallowPrivileged: true\n');
  const r = await agentCeilingFromCli({ 'allow-host-network': true, 'host-root': dir }, { BERTH_POLICY_FILE: file });
  assert.equal(r.ceiling, { allowPrivileged: true, allowHostNetwork: true, allowedHostPaths: ['/srv'] });
  assert.equal(r.hostView, { kind: 'root', root: dir });
  const nope = await rejection(agentCeilingFromCli({ 'host-root': join(dir, 'nope') }, {}));
  assert.ok(nope instanceof UsageError && /is not a directory/.test(nope.message), nope.message);
  assert.match((await rejection(agentCeilingFromCli({ 'host-root': 'host' }, {}))).message, /must be an absolute path/);
});

test('an unreadable or malformed policy file is a usage error naming the file', async () => {
  const missing = await rejection(agentCeilingFromCli({ 'policy-file': join(dir, 'missing.yaml') }, {}));
  assert.ok(missing instanceof UsageError && /cannot read the policy file .*missing.yaml/.test(missing.message), missing.message);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'allowPrivileged: yes please\n');
  const badErr = await rejection(agentCeilingFromCli({ 'policy-file': bad }, {}));
  assert.ok(badErr instanceof UsageError && /bad.yaml: allowPrivileged must be true or false/.test(badErr.message), badErr.message);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
