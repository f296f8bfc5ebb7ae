import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentCeilingFromCli } from './agent-ceiling.js';
import { UsageError } from './usage.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-agent-ceiling-'));

test('default: deny all, host view detected later', () => {
  assert.equal(agentCeilingFromCli({}, {}), { ceiling: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] }, hostView: undefined });
});

test('a policy file from BERTH_POLICY_FILE adds to the flags; --host-root must be a directory', () => {
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, 'allowedHostPaths: [/srv]\nallowPrivileged: true\n');
  const r = agentCeilingFromCli({ 'allow-host-network': true, 'host-root': dir }, { BERTH_POLICY_FILE: file });
  assert.equal(r.ceiling, { allowPrivileged: true, allowHostNetwork: true, allowedHostPaths: ['/srv'] });
  assert.equal(r.hostView, { kind: 'root', root: dir });
  assert.throws(() => agentCeilingFromCli({ 'host-root': join(dir, 'nope') }, {}), (e: Error) => e instanceof UsageError && /is not a directory/.test(e.message));
  assert.throws(() => agentCeilingFromCli({ 'host-root': 'host' }, {}), /must be an absolute path/);
});

test('an unreadable or malformed policy file is a usage error naming the file', () => {
  assert.throws(() => agentCeilingFromCli({ 'policy-file': join(dir, 'missing.yaml') }, {}), (e: Error) => e instanceof UsageError && /cannot read the policy file .*missing.yaml/.test(e.message));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'allowPrivileged: yes please\n');
  assert.throws(() => agentCeilingFromCli({ 'policy-file': bad }, {}), /bad.yaml: allowPrivileged must be true or false/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
