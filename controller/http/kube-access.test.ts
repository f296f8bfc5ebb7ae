// KubeAccessControl's own logic, with a scripted Reviewer standing in for the apiserver (the real
// TokenReview/SubjectAccessReview path is proven in test/web/kube-auth.test.ts).
import type { IncomingMessage } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Reviewer, ReviewAttributes, UserInfo } from '../kube/review.js';
import { KubeAccessControl } from './kube-access.js';

function setup() {
  let now = 0;
  const calls = { authn: 0, authz: 0 };
  const grants = new Set(['alice containerhosts']);
  let apiserverDown = false;
  let forbidden: 'tokenreviews' | 'subjectaccessreviews' | undefined;
  // What kubeReviewer throws when the controller's ServiceAccount lacks the rule (status 403).
  const refusal = (resource: string) => Object.assign(new Error(`${resource} is forbidden: User "system:serviceaccount:berth:berth" cannot create resource "${resource}" (RBAC: grant it)`), { status: 403 });
  const reviewer: Reviewer = {
    async authenticate(token) {
      calls.authn++;
      if (apiserverDown) throw new Error('connect ECONNREFUSED');
      if (forbidden === 'tokenreviews') throw refusal(forbidden);
      return token === 'good-alice' ? { authenticated: true, user: { username: 'alice', groups: ['devs'] } } : { authenticated: false, message: 'token rejected: invalid bearer token' };
    },
    async authorize(user: UserInfo, what: ReviewAttributes) {
      calls.authz++;
      if (forbidden === 'subjectaccessreviews') throw refusal(forbidden);
      return { allowed: grants.has(`${user.username} ${what.resource}${what.subresource ? `/${what.subresource}` : ''}`) };
    },
  };
  const access = new KubeAccessControl({ reviewer, now: () => now });
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  return { access, calls, grants, req, tick: (ms: number) => { now += ms; }, down: (v: boolean) => { apiserverDown = v; }, forbid: (r: typeof forbidden) => { forbidden = r; } };
}

test('no credentials: 401; a bad token: 401; a good bearer token: allowed or 403 by RBAC', async () => {
  const { access, req } = setup();
  const none = await access.check(req({}), { resource: 'containerhosts' });
  assert.equal(none, { allowed: false, status: 401, message: 'sign in with a Kubernetes bearer token' });
  const bad = await access.check(req({ authorization: 'Bearer nope' }), { resource: 'containerhosts' });
  assert.ok(!bad.allowed && bad.status === 401 && /invalid bearer token/.test(bad.message));
  assert.equal(await access.check(req({ authorization: 'Bearer good-alice' }), { resource: 'containerhosts' }), { allowed: true, user: 'alice' });
  const logs = await access.check(req({ authorization: 'Bearer good-alice' }), { resource: 'containerhosts', subresource: 'logs', namespace: 'games', name: 'box-1' });
  assert.ok(!logs.allowed && logs.status === 403);
  assert.match(logs.allowed ? '' : logs.message, /alice may not get containerhosts\/logs "box-1" in the namespace "games"/);
});

test('decisions are cached ~10 s: a revoked grant stops working after that', async () => {
  const { access, calls, grants, req, tick } = setup();
  const r = req({ authorization: 'Bearer good-alice' });
  for (let i = 0; i < 5; i++) assert.ok((await access.check(r, { resource: 'containerhosts' })).allowed);
  assert.equal(calls, { authn: 1, authz: 1 });
  grants.delete('alice containerhosts');
  tick(9_000);
  assert.ok((await access.check(r, { resource: 'containerhosts' })).allowed, 'still cached');
  tick(1_000);
  assert.not.ok((await access.check(r, { resource: 'containerhosts' })).allowed, 'fresh answer after 10 s');
});

test('sign-in makes a session; the cookie stands for the token, and sign-out ends it', async () => {
  const { access, req, tick } = setup();
  assert.equal(await access.signIn('nope'), { ok: false, status: 401, message: 'token rejected: invalid bearer token' });
  assert.is((await access.signIn('two words')).ok, false);
  const s = await access.signIn(' good-alice\n');
  assert.ok(s.ok);
  if (!s.ok) return;
  assert.not.ok(s.sessionId.includes('good-alice'));
  const withCookie = req({ cookie: `other=1; berth_session=${s.sessionId}` });
  assert.equal(await access.check(withCookie, { resource: 'containerhosts' }), { allowed: true, user: 'alice' });
  assert.equal(await access.identify(withCookie), { ok: true, user: 'alice', expiresAt: s.expiresAt });
  access.signOut(withCookie);
  const after = await access.check(withCookie, { resource: 'containerhosts' });
  assert.ok(!after.allowed && after.status === 401 && /expired/.test(after.message));
  const s2 = await access.signIn('good-alice');
  tick(60 * 60_000);
  const expired = await access.check(req({ cookie: `berth_session=${s2.ok ? s2.sessionId : ''}` }), { resource: 'containerhosts' });
  assert.ok(!expired.allowed && expired.status === 401, 'sessions expire after an hour');
});

test('the apiserver unreachable: refused with a message saying so, and sign-in says 503', async () => {
  const { access, req, down } = setup();
  down(true);
  const d = await access.check(req({ authorization: 'Bearer good-alice' }), { resource: 'containerhosts' });
  assert.ok(!d.allowed && /could not check the token with the Kubernetes API \(connect ECONNREFUSED\); try again$/.test(d.message));
  const s = await access.signIn('good-alice');
  assert.ok(!s.ok && s.status === 503);
  down(false);
  assert.ok((await access.check(req({ authorization: 'Bearer good-alice' }), { resource: 'containerhosts' })).allowed, 'failures are not cached');
});

test('the controller may not review (403 on TokenReview/SubjectAccessReview): the refusal names the permission, no "try again"', async () => {
  const { access, req, forbid } = setup();
  forbid('tokenreviews');
  const s = await access.signIn('good-alice');
  assert.ok(!s.ok && s.status === 503);
  assert.match(s.ok ? '' : s.message, /^could not check the token with the Kubernetes API: tokenreviews is forbidden: .*cannot create resource "tokenreviews" \(RBAC: grant it\)$/);
  const t = await access.check(req({ authorization: 'Bearer good-alice' }), { resource: 'containerhosts' });
  assert.ok(!t.allowed && t.status === 403);
  assert.match(t.allowed ? '' : t.message, /cannot create resource "tokenreviews" \(RBAC: grant it\)\)$/);
  forbid('subjectaccessreviews');
  const d = await access.check(req({ authorization: 'Bearer good-alice' }), { resource: 'containerhosts' });
  assert.ok(!d.allowed && d.status === 403);
  assert.match(d.allowed ? '' : d.message, /^could not check access with the Kubernetes API \(subjectaccessreviews is forbidden: .*\(RBAC: grant it\)\)$/);
});

test.run();
