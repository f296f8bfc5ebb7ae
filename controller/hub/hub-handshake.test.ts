// The agent hub, authentication and handshake: tokens refused before the upgrade, hello/welcome, protocol version, hello timeout, token expiry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionInfo } from './hub.js';
import { until } from '../../test/support/wait.js';
import { Agent, counter, HELLO, jwtFor, key, minted, OBSERVED, otherKey, policy, refusal, sleep, testNoTokenInLogs, withBed } from './hub-test-bed.js';

test('valid token: upgrade, hello -> welcome, connected event, connection info, gauge', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  const welcome = await agent.hello();
  assert.equal(welcome, { type: 'welcome', protocolVersion: 1, host: { namespace: 'games', name: 'box-1', uid: 'uid-of-games/box-1' }, policy, resyncSeconds: 300 });
  await until('connected event', () => b.events.some((e) => e[0] === 'connected'), 2000);
  const [, hostKey, hello, info] = b.events.find((e) => e[0] === 'connected')!;
  assert.is(hostKey, 'games/box-1');
  assert.equal((hello as typeof HELLO).agent, HELLO.agent);
  assert.is((info as ConnectionInfo).tokenUid, 'uid-1');
  assert.ok(b.hub.isConnected('games/box-1'));
  assert.not.ok(b.hub.isConnected('games/box-2'));
  const [connection] = b.hub.connections();
  assert.is(connection?.ready, true);
  assert.is(connection?.agent?.hostname, 'box-1.example');
  assert.equal(connection?.docker, HELLO.docker);
  assert.is(connection?.remoteAddress, '127.0.0.1');
  assert.is(await counter(b.registry, 'berth_hub_connected_agents'), 1);
  assert.is(await counter(b.registry, 'berth_hub_frames_sent_total', { type: 'welcome' }), 1);

  agent.send(OBSERVED);
  await until('observed event', () => b.events.some((e) => e[0] === 'observed'), 2000);
  agent.send({ type: 'log', stream: 's1', entries: [{ t: '2026-01-01T00:00:00Z', s: 'out', l: 'hi' }] });
  agent.send({ type: 'logEnd', stream: 's1' });
  await until('logEnd event', () => b.events.some((e) => e[0] === 'logEnd'), 2000);
  assert.ok(b.events.some((e) => e[0] === 'log' && e[1] === 'games/box-1'));
  assert.ok(b.hub.send('games/box-1', { type: 'logsCancel', stream: 's1' }));
  assert.is((await agent.next('logsCancel')).stream, 's1');
  assert.not.ok(b.hub.send('games/box-2', { type: 'logsCancel', stream: 's1' }));

  agent.ws.close(1000, 'bye');
  await until('disconnected event', () => b.events.some((e) => e[0] === 'disconnected'), 2000);
  assert.not.ok(b.hub.isConnected('games/box-1'));
  assert.is(await counter(b.registry, 'berth_hub_connected_agents'), 0);
}));

test('bad credentials are refused with HTTP 401 before the upgrade', () => withBed({}, async (b) => {
  const [t1, t2] = [b.tokens[0]!, b.tokens[1]!];
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing', {}, /missing bearer token/],
    ['not bearer', { Authorization: 'Basic dXNlcjpwYXNz' }, /missing bearer token/],
    ['garbage', { Authorization: 'Bearer not-a-jwt' }, /malformed/],
    ['forged', { Authorization: `Bearer ${await jwtFor(t1, { signer: { ...otherKey, kid: key.kid } })}` }, /signature/],
    ['unknown key', { Authorization: `Bearer ${await jwtFor(t1, { signer: otherKey })}` }, /unknown key/],
    ['expired', { Authorization: `Bearer ${await jwtFor(t1, { ttl: '1h', now: Date.now() - 2 * 3_600_000 })}` }, /expired/],
  ];
  for (const [what, headers, reason] of cases) {
    const r = await refusal(b.url, headers);
    assert.is(r.status, 401, what);
    assert.match(r.body, reason, what);
    // The same refusal format as the upgrade router's 404 (one helper writes both).
    assert.is((JSON.parse(r.body) as { error: string }).error, 'Unauthorized', what);
  }
  // revoked: the AgentToken is deleted
  const revokedJwt = await jwtFor(t2);
  b.tokens.splice(1, 1);
  const revoked = await refusal(b.url, { Authorization: `Bearer ${revokedJwt}` });
  assert.is(revoked.status, 401);
  assert.match(revoked.body, /revoked/);
  // wrong host: the AgentToken now names another host than the token's sub
  const jwt1 = await jwtFor(t1);
  b.tokens[0] = { ...t1, spec: { hostRef: { name: 'box-9' } } };
  const wrongHost = await refusal(b.url, { Authorization: `Bearer ${jwt1}` });
  assert.is(wrongHost.status, 401);
  assert.match(wrongHost.body, /not valid for this host/);

  assert.is(b.hub.connections().length, 0);
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total'), cases.length + 2);
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total', { reason: 'revoked' }), 1);
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total', { reason: 'missing_bearer' }), 2);
}));

test('wrong audience is refused with 401', () => withBed({}, async (b) => {
  const { SignJWT } = await import('jose');
  const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setIssuer('berth').setAudience('berth-web')
    .setSubject('games/box-1').setJti('uid-1').setIssuedAt().sign(key.privateKey);
  minted.push(jwt);
  const r = await refusal(b.url, { Authorization: `Bearer ${jwt}` });
  assert.is(r.status, 401);
  assert.match(r.body, /audience/);
}));

test('a token in the query string is refused with 401, even beside a valid header', () => withBed({}, async (b) => {
  const jwt = await jwtFor(b.tokens[0]!);
  for (const [query, headers] of [
    [`?token=${jwt}`, {}],
    [`?token=${jwt}`, { Authorization: `Bearer ${jwt}` }],
    [`?access_token=${jwt}`, {}],
    [`?x=${jwt}`, {}],
  ] as const) {
    const r = await refusal(`${b.url}${query}`, headers);
    assert.is(r.status, 401);
    assert.match(r.body, /tokens in the URL are refused/);
  }
  assert.is(await counter(b.registry, 'berth_hub_auth_failures_total', { reason: 'token_in_url' }), 4);
}));

test('other paths get 404', () => withBed({}, async (b) => {
  const r = await refusal(b.url.replace('/agent/v1/connect', '/agent/v2/connect'), { Authorization: `Bearer ${await jwtFor(b.tokens[0]!)}` });
  assert.is(r.status, 404);
  assert.is((JSON.parse(r.body) as { error: string }).error, 'NotFound');
}));

test('unsupported protocol version closes with 4002 and a clear reason', () => withBed({}, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  agent.send({ ...HELLO, protocolVersion: 2 });
  assert.equal(await agent.closedWithin(), { code: 4002, reason: 'protocol version 2 not supported; this controller speaks 1' });
  // a future hello that does not even match this version's schema gets the same answer
  const future = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  future.send({ type: 'hello', protocolVersion: 3, capabilities: ['x'] });
  assert.equal(await future.closedWithin(), { code: 4002, reason: 'protocol version 3 not supported; this controller speaks 1' });
  assert.not.ok(b.events.some((e) => e[0] === 'connected'));
}));

test('no hello in time closes with 4004', () => withBed({ helloTimeoutMs: 150 }, async (b) => {
  const agent = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  const closed = await agent.closedWithin(2000);
  assert.is(closed.code, 4004);
  assert.match(closed.reason, /no hello/);
}));

test('a live connection is closed when its token expires', () => withBed({
  authenticate: () => ({ ok: true, hostKey: 'games/box-1', tokenUid: 'uid-1', expiresAt: new Date(Date.now() + 200) }),
}, async (b) => {
  const agent = await Agent.open(b.url, 'opaque');
  await agent.hello();
  assert.equal(await agent.closedWithin(2000), { code: 4003, reason: 'token expired' });
}));

test('welcomeFor: an undeclared host is closed with 1008; an async welcome works', () => withBed({
  welcomeFor: async (hostKey) => {
    await sleep(50);
    return hostKey === 'games/box-1' ? { host: { namespace: 'games', name: 'box-1', uid: 'u1' }, policy, resyncSeconds: 60 } : undefined;
  },
}, async (b) => {
  const a1 = await Agent.open(b.url, await jwtFor(b.tokens[0]!));
  a1.send(HELLO);
  a1.send(OBSERVED); // pipelined before the welcome: replayed once ready
  assert.is((await a1.next('welcome')).resyncSeconds, 60);
  await until('pipelined observed', () => b.events.some((e) => e[0] === 'observed'), 2000);
  const a2 = await Agent.open(b.url, await jwtFor(b.tokens[1]!));
  a2.send(HELLO);
  const closed = await a2.closedWithin();
  assert.is(closed.code, 1008);
  assert.match(closed.reason, /not declared/);
}));

testNoTokenInLogs();

test.run();
