import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { KubeConfig } from '@kubernetes/client-node';
import { pooledConnections } from './pooled-connections.js';

/** A KubeConfig stand-in that, like client-node 2.x, hands every request a brand-new dispatcher. */
function fakeConfig() {
  const made: { id: number; closed: boolean }[] = [];
  const kc = {
    auths: 0,
    async applySecurityAuthentication(ctx: { setDispatcher(d: unknown): void; setHeaderParam(k: string, v: string): void }) {
      this.auths++;
      ctx.setHeaderParam('Authorization', `Bearer t${this.auths}`);
      const d = { id: made.length, closed: false, close: async () => { d.closed = true; } };
      made.push(d);
      ctx.setDispatcher(d);
    },
  };
  return { kc, made };
}
function ctx() {
  let dispatcher: unknown; const headers: Record<string, string> = {};
  return { setDispatcher: (d: unknown) => { dispatcher = d; }, getDispatcher: () => dispatcher, setHeaderParam: (k: string, v: string) => { headers[k] = v; }, headers };
}

test('every request gets fresh credentials but the same dispatcher; the unused fresh ones are closed', async () => {
  const { kc, made } = fakeConfig();
  const pooled = pooledConnections(kc as unknown as KubeConfig);
  const a = ctx(); const b = ctx();
  await pooled.applySecurityAuthentication(a as never);
  await pooled.applySecurityAuthentication(b as never);
  assert.is(a.getDispatcher(), b.getDispatcher());
  assert.is(a.headers.Authorization, 'Bearer t1');
  assert.is(b.headers.Authorization, 'Bearer t2');   // credentials are not cached
  assert.is(made[0]!.closed, false);
  assert.is(made[1]!.closed, true);
});

test('the shared dispatcher is replaced after maxAgeMs and the old one closed', async () => {
  const { kc, made } = fakeConfig();
  let t = 0;
  const pooled = pooledConnections(kc as unknown as KubeConfig, { maxAgeMs: 1_000, now: () => t });
  const a = ctx(); await pooled.applySecurityAuthentication(a as never);
  t = 1_000;
  const b = ctx(); await pooled.applySecurityAuthentication(b as never);
  assert.is.not(a.getDispatcher(), b.getDispatcher());
  assert.is(made[0]!.closed, true);
  assert.is(b.getDispatcher(), made[1]);
});

test.run();
