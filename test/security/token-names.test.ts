// Token file names cannot collide (issue 12 item 6), through the real controller in directory mode:
// a younger AgentToken naming an older one's secretName is Stalled with SecretNameConflict and never
// overwrites the older one's token file; once the older one is deleted, the younger takes the name.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Controller } from '../../controller/controller.js';
import { DirectoryStore } from '../../controller/store/dir/dir-store.js';
import { until } from '../support/wait.js';

const root = mkdtempSync(join(tmpdir(), 'berth-token-names-'));
const stateDir = join(root, '.state');
const file = join(stateDir, 'tokens/tn/a-agent-token.token');
const jti = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
writeFileSync(join(root, 'hosts.yaml'), 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: h, namespace: tn }\nspec: { paused: true }\n');
writeFileSync(join(root, 'a.yaml'), 'apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: a, namespace: tn }\nspec: { hostRef: { name: h } }\n');
const store = new DirectoryStore({ paths: [root], stateDir, logger: pino({ level: 'silent' }), debounceMs: 20 });
const controller = new Controller({ store, logger: pino({ level: 'silent' }), version: 'test', listen: { host: '127.0.0.1', port: 0 }, webRoot: false });

test.before(async () => { await controller.start(); });
test.after(async () => { await controller.stop(); rmSync(root, { recursive: true, force: true }); });

test('the younger of two tokens naming one secretName is refused; it takes the name once the older is gone', async () => {
  const aToken = await until('a\'s token file', () => { try { return readFileSync(file, 'utf8'); } catch { return undefined; } });
  const aUid = store.token('tn/a')!.metadata.uid;
  assert.is(jti(aToken), aUid);
  await new Promise((r) => setTimeout(r, 20));   // b is strictly younger
  writeFileSync(join(root, 'b.yaml'), 'apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: b, namespace: tn }\nspec: { hostRef: { name: h }, secretName: a-agent-token }\n');
  const ready = await until('b refused', () => store.token('tn/b')?.status?.conditions?.find((c) => c.type === 'Ready' && c.reason === 'SecretNameConflict'));
  assert.is(ready.status, 'False');
  assert.match(ready.message, /already used by AgentToken tn\/a/);
  assert.ok(store.token('tn/b')?.status?.conditions?.some((c) => c.type === 'Stalled' && c.status === 'True'));
  assert.ok(store.events('AgentToken', 'tn/b').some((e) => e.type === 'Warning' && e.reason === 'SecretNameConflict'));
  assert.is(jti(readFileSync(file, 'utf8')), aUid, 'a\'s token file is untouched');

  rmSync(join(root, 'a.yaml'));
  const bUid = await until('b owns the name', () => { try { const j = jti(readFileSync(file, 'utf8')); return j !== aUid && j; } catch { return undefined; } });
  assert.is(bUid, store.token('tn/b')!.metadata.uid);
  await until('b Ready', () => store.token('tn/b')?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
});

test.run();
