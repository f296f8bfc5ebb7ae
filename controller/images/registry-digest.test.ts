// The challenge handling of the digest resolver, against a scripted fetch (the real registry is in
// test/system/image-digest.test.ts). Docker Hub's Bearer flow cannot be reached from here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseChallenge, resolveDigest } from './registry-digest.js';

async function rejects(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  try { await p; } catch (err) { assert.match((err as Error).message, pattern); return; }
  assert.unreachable('expected a rejection');
}

const D = `sha256:${'e'.repeat(64)}`;

test('challenges parse into scheme and parameters', () => {
  assert.equal(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'),
    { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } });
  assert.equal(parseChallenge('Basic realm="Registry Realm"'), { scheme: 'basic', params: { realm: 'Registry Realm' } });
});

test('a Bearer challenge is answered with a token fetched from the realm with the credentials', async () => {
  const seen: string[] = [];
  const fake = (async (input: string | URL, init?: RequestInit) => {
    const url = String(input);
    const auth = (init?.headers as Record<string, string> | undefined)?.authorization ?? '';
    seen.push(`${init?.method ?? 'GET'} ${url} ${auth}`);
    if (url.startsWith('https://auth.example/token')) return Response.json({ token: 'T0K' });
    if (auth === 'Bearer T0K') return new Response(null, { status: 200, headers: { 'docker-content-digest': D } });
    return new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer realm="https://auth.example/token",service="reg"' } });
  }) as typeof fetch;
  const digest = await resolveDigest('reg.example/team/app:2', { fetch: fake, auth: { serveraddress: 'reg.example', username: 'u', password: 'p' } });
  assert.is(digest, D);
  assert.match(seen[1]!, /scope=repository%3Ateam%2Fapp%3Apull/);
  assert.match(seen[1]!, /Basic dTpw/);
});

test('no credentials for a Basic registry, a missing tag, an unreachable registry: each says so', async () => {
  const basic = (async () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } })) as typeof fetch;
  await rejects(resolveDigest('reg.example/app:1', { fetch: basic }), /wants credentials/);
  const missing = (async () => new Response(null, { status: 404 })) as typeof fetch;
  await rejects(resolveDigest('reg.example/app:1', { fetch: missing }), /no such tag/);
  const down = (async () => { throw new Error('ECONNREFUSED'); }) as typeof fetch;
  await rejects(resolveDigest('reg.example/app:1', { fetch: down }), /cannot reach https:\/\/reg.example: ECONNREFUSED/);
});

test('without the header, the digest is the SHA-256 of the manifest GET returns', async () => {
  const body = '{"schemaVersion":2}';
  const fake = (async (_u: string | URL, init?: RequestInit) => (init?.method === 'HEAD'
    ? new Response(null, { status: 200 }) : new Response(body, { status: 200 }))) as typeof fetch;
  const { createHash } = await import('node:crypto');
  assert.is(await resolveDigest('reg.example/app:1', { fetch: fake }), `sha256:${createHash('sha256').update(body).digest('hex')}`);
});

test.run();
