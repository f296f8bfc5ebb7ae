// The live-session rule: a session stays while its AgentToken exists, names its host and was not
// re-issued after the session's token; otherwise hub.revalidate closes it with the reason.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AgentToken } from '../api/types.js';
import type { ConnectionInfo } from '../hub/connection.js';
import { SessionRecheck, sessionRefusal } from './session-recheck.js';
import { pino } from 'pino';

const token = (over: Partial<AgentToken['metadata']> = {}, issuedAt?: string, host = 'box'): AgentToken => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken',
  metadata: { name: 't', namespace: 'ns', uid: 'u1', generation: 1, ...over },
  spec: { hostRef: { name: host } }, ...(issuedAt ? { status: { issuedAt } } : {}),
});
const session = (over: Partial<ConnectionInfo> = {}): ConnectionInfo => ({
  hostKey: 'ns/box', sessionId: 's', tokenUid: 'u1', tokenIssuedAt: '2026-01-01T00:00:00.000Z', connectedAt: '', lastSeenAt: '', ready: true, ...over,
});

test('sessionRefusal: live, deleted, being deleted, moved to another host, rotated', () => {
  const lookup = (t: AgentToken | undefined) => (uid: string) => (t?.metadata.uid === uid ? t : undefined);
  assert.is(sessionRefusal(session(), lookup(token({}, '2026-01-01T00:00:00Z'))), undefined);
  assert.match(sessionRefusal(session(), lookup(undefined)) ?? '', /revoked/);
  assert.match(sessionRefusal(session(), lookup(token({ deletionTimestamp: '2026-01-02T00:00:00Z' }))) ?? '', /revoked/);
  assert.match(sessionRefusal(session(), lookup(token({}, undefined, 'other'))) ?? '', /not valid for this host/);
  assert.match(sessionRefusal(session(), lookup(token({}, '2026-01-01T00:00:05Z'))) ?? '', /rotation/);
  assert.is(sessionRefusal(session({ tokenUid: undefined }), lookup(undefined)), undefined, 'sessions admitted without a token are not ours to judge');
});

test('SessionRecheck closes what the rule refuses, soon after a change', async () => {
  let tokens: AgentToken[] = [token({}, '2026-01-01T00:00:00Z')];
  const closed: string[] = [];
  const sessions = [session(), session({ hostKey: 'ns/other', tokenUid: 'u2' })];
  const recheck = new SessionRecheck({
    lookupTokenByUid: (uid) => tokens.find((t) => t.metadata.uid === uid), logger: pino({ level: 'silent' }), debounceMs: 5,
    revalidate: (check) => { let n = 0; for (const s of sessions) { const r = check(s); if (r) { closed.push(`${s.hostKey}: ${r}`); n++; } } return n; },
  });
  assert.is(recheck.now(), 1, 'u2 has no AgentToken');
  tokens = [];
  closed.length = 0;
  recheck.soon();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(closed, ['ns/box: token revoked (no such AgentToken)', 'ns/other: token revoked (no such AgentToken)']);
  recheck.stop();
});

test.run();
