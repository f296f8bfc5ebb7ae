// The agent's side of enrollment: where the credential lives, how it is stored, which token connects.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectToken, defaultCredentialPath, readCredential, storeCredential } from './credential.js';

const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify({ sub: 'ns/box', ...claims })).toString('base64url')}.sig`;

test('the credential lives next to the token file', () => {
  assert.is(defaultCredentialPath('/etc/berth/box-1.token'), '/etc/berth/box-1.credential');
  assert.is(defaultCredentialPath('/etc/berth/token'), '/etc/berth/token.credential');
  assert.is(defaultCredentialPath('/run/secrets/berth'), '/run/secrets/berth.credential');
});

test('stored 0600 atomically, read back; absent is undefined', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-credential-'));
  try {
    const path = join(dir, 'box.credential');
    assert.is(readCredential(path), undefined);
    await storeCredential(path, 'a.b.c');
    assert.is(statSync(path).mode & 0o777, 0o600);
    assert.is(readFileSync(path, 'utf8'), 'a.b.c\n');
    assert.is(readCredential(path), 'a.b.c');
    await storeCredential(path, 'd.e.f');
    assert.is(readCredential(path), 'd.e.f');
    const refused = await storeCredential(join(dir, 'missing/dir/x'), 'x').then(() => '', (e: Error) => e.message);
    assert.match(refused, /cannot store the agent credential/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the credential connects unless the token file holds a newer join token', () => {
  const credential = jwt({ use: 'credential', iat: 200 });
  assert.is(connectToken(undefined, () => 'tok'), 'tok');
  assert.is(connectToken(credential, () => jwt({ use: 'join', iat: 100 })), credential, 'the burned join token');
  const fresh = jwt({ use: 'join', iat: 300 });
  assert.is(connectToken(credential, () => fresh), fresh, 'a rotation gave the machine a new join token');
  const plain = jwt({ iat: 400 });
  assert.is(connectToken(credential, () => plain), plain, 'no longer a bootstrap token: its newer ordinary token');
  assert.is(connectToken(credential, () => jwt({ iat: 150 })), credential, 'an older ordinary token');
  assert.is(connectToken(credential, () => { throw new Error('gone'); }), credential, 'the token file may be removed after enrolling');
});

test.run();
