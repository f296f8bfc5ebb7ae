// Token files cannot collide: a younger AgentToken naming another's secretName is refused by the
// reconciler (secretNameOwner), a write over a live token's file is refused here, and deleting a
// token removes only files that hold its own token.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentToken } from '../../api/types.js';
import { conflictingTokens, secretNameOwner } from '../../reconcile/token-secret-owner.js';
import { StateDir } from './state-dir.js';
import { TokenFiles } from './token-files.js';

const tok = (name: string, uid: string, created: string, secretName?: string): AgentToken => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken',
  metadata: { name, namespace: 'ns', uid, generation: 1, creationTimestamp: created },
  spec: { hostRef: { name: 'h' }, ...(secretName ? { secretName } : {}) },
});
/** A JWT-shaped string whose payload names `jti` (the files only read it, never verify it). */
const jwtFor = (jti: string) => `e30.${Buffer.from(JSON.stringify({ jti, sub: 'ns/h' })).toString('base64url')}.sig`;

test('the oldest claimant owns a secretName; defaults and explicit names collide alike', () => {
  const a = tok('a', 'ua', '2026-01-01T00:00:00Z');                        // default a-agent-token
  const b = tok('b', 'ub', '2026-01-02T00:00:00Z', 'a-agent-token');       // explicit, same name
  const c = tok('c', 'uc', '2026-01-01T00:00:00Z', 'other');
  const all = [a, b, c];
  assert.is(secretNameOwner(a, all), undefined);
  assert.is(secretNameOwner(b, all)?.metadata.name, 'a');
  assert.is(secretNameOwner(c, all), undefined);
  // Same age: the name decides, the same on every replica and after restarts.
  const b2 = tok('b', 'ub', '2026-01-01T00:00:00Z', 'a-agent-token');
  assert.is(secretNameOwner(b2, [a, b2])?.metadata.name, 'a');
  assert.is(secretNameOwner(a, [a, b2]), undefined);
  // A token being deleted does not hold its name; another namespace never collides.
  assert.is(secretNameOwner(b, [{ ...a, metadata: { ...a.metadata, deletionTimestamp: '2026-01-03T00:00:00Z' } }, b]), undefined);
  assert.is(secretNameOwner(b, [{ ...a, metadata: { ...a.metadata, namespace: 'other' } }, b]), undefined);
  const refused = { ...b, status: { conditions: [{ type: 'Ready', status: 'False' as const, reason: 'SecretNameConflict', message: 'x', lastTransitionTime: '2026-01-02T00:00:00Z' }] } };
  assert.equal(conflictingTokens([a, refused, c], 'ns'), ['ns/b']);
  assert.equal(conflictingTokens([a, refused, c], 'other'), []);
});

test('a write over a live token\'s file is refused; a deletion removes only its own files', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-token-files-'));
  try {
    const live = new Set(['ua', 'ub']);
    const files = new TokenFiles(new StateDir(root), pino({ level: 'silent' }), undefined, (uid) => live.has(uid));
    const a = tok('a', 'ua', '2026-01-01T00:00:00Z', 'shared');
    const b = tok('b', 'ub', '2026-01-02T00:00:00Z', 'shared');
    await files.write(a, 'shared', jwtFor('ua'), 'ws://x');
    const refused = await files.write(b, 'shared', jwtFor('ub'), 'ws://x').then(() => 'written', (err: Error) => err.message);
    assert.match(refused, /belongs to another AgentToken/);
    assert.is(readFileSync(join(root, 'tokens/ns/shared.token'), 'utf8'), jwtFor('ua'), 'a keeps its token');
    await files.write(a, 'shared', jwtFor('ua'), 'ws://y');   // its own file: rewritten
    // b is deleted: a's file of the same name stays.
    live.delete('ub');
    await files.remove('ns/b', b);
    assert.ok(existsSync(join(root, 'tokens/ns/shared.token')), 'a\'s file survives b\'s deletion');
    // a is deleted: its file goes; then a younger token may write the free name.
    live.delete('ua');
    await files.remove('ns/a', a);
    assert.not.ok(existsSync(join(root, 'tokens/ns/shared.token')));
    live.add('ub');
    await files.write(b, 'shared', jwtFor('ub'), 'ws://x');
    assert.is(readFileSync(join(root, 'tokens/ns/shared.token'), 'utf8'), jwtFor('ub'));
  } finally { rmSync(root, { recursive: true, force: true }); }
});

test.run();
