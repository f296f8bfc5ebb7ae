// `berth agent` option handling (no controller, no Docker needed for these).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AGENT_HELP, runAgent } from './agent.js';
import { UsageError } from './usage.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-t-agent-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const jwt = (payload: unknown) => `eyJhbGciOiJFZERTQSJ9.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

async function usageError(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try { await runAgent(argv, { env, until: Promise.resolve() }); } catch (err) {
    assert.instance(err, UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

test('--help prints the usage and exits 0', async () => {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (s: string) => lines.push(s);
  try { assert.is(await runAgent(['--help']), 0); } finally { console.log = orig; }
  assert.is(lines.join('\n'), AGENT_HELP);
  assert.match(AGENT_HELP, /--token-file FILE/);
});

test('missing URL or token, bad URL, unreadable or malformed token: usage errors (exit 2)', async () => {
  const good = join(dir, 'token');
  writeFileSync(good, `${jwt({ sub: 'games/box-1' })}\n`);
  assert.match(await usageError([]), /controller URL is missing: pass --url or set BERTH_URL/);
  assert.match(await usageError(['--url', 'http://localhost']), /agent token is missing: pass --token-file or set BERTH_TOKEN_FILE or BERTH_TOKEN/);
  assert.match(await usageError(['--url', 'ftp://x', '--token-file', good]), /must start with ws:\/\/, wss:\/\//);
  assert.match(await usageError(['--url', 'http://localhost', '--token-file', join(dir, 'missing')]), /cannot read the token file .*missing/);
  const bad = join(dir, 'bad');
  writeFileSync(bad, 'not-a-jwt');
  const msg = await usageError(['--url', 'http://localhost', '--token-file', bad]);
  assert.match(msg, /not a JWT/);
  assert.not.ok(msg.includes('not-a-jwt'), 'the token is never echoed');
  assert.match(await usageError([], { BERTH_URL: 'http://localhost', BERTH_TOKEN: jwt({ sub: 'nope' }) }), /not "<namespace>\/<name>"/);
  assert.match(await usageError(['--url', 'http://localhost', '--token-file', good, '--stop-timeout', 'soon']), /--stop-timeout/);
  // Plaintext off this machine, and a CA file that is not one.
  const plain = await usageError(['--url', 'ws://10.1.2.3:7070', '--token-file', good]);
  assert.match(plain, /refusing ws:\/\/10\.1\.2\.3:7070: plain ws:\/\/ to another machine/);
  assert.match(plain, /--insecure-plaintext/);
  assert.match(await usageError(['--url', 'wss://10.1.2.3:7443', '--token-file', good, '--ca-file', bad]), /CA file .*bad holds no PEM certificate/);
  assert.match(await usageError(['--url', 'wss://10.1.2.3:7443', '--token-file', good], { BERTH_CA_FILE: join(dir, 'nope') }), /cannot read the CA file .*nope/);
});

test.run();
