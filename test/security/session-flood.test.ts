// Session flooding in Kubernetes mode (issue 12), against the bed's real apiserver (TokenReview):
// one identity signing in again and again must neither sign anyone else out (the session store used
// to evict the oldest sessions, whoever's they were) nor get past the sign-in rate limit, and it
// keeps only its own newest sessions (the per-identity cap).
import type { ChildProcess } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { OutputBuffer, startBerthController, stopProcess } from '../support/berth-process.js';
import { installCrds } from '../support/berth.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubeconfig, kubeToken, readerRoleYaml } from '../support/kube.js';
import { until } from '../support/wait.js';

let ns = '';
let url = '';
let controller: ChildProcess | undefined;
const output = new OutputBuffer();

async function signIn(token: string): Promise<{ status: number; cookie?: string; retryAfter?: string }> {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
  await res.body?.cancel();
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  const retryAfter = res.headers.get('retry-after') ?? undefined;
  return { status: res.status, ...(cookie ? { cookie } : {}), ...(retryAfter ? { retryAfter } : {}) };
}
const hostsWith = async (cookie: string) => (await fetch(`${url}/api/v1/hosts`, { headers: { Cookie: cookie } })).status;

test.before(async () => {
  await installCrds();
  ns = await createTestNamespace('bs-flood');
  await applyYaml(`apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: fhost, namespace: ${ns} }\nspec: { containers: [ { name: c1, image: busybox:latest } ] }\n`, { namespace: ns });
  await applyYaml(readerRoleYaml('berth-hosts-reader', ['containerhosts'], 'alice'), { namespace: ns });
  await applyYaml(readerRoleYaml('berth-hosts-reader-bob', ['containerhosts'], 'bob'), { namespace: ns });
  const started = await startBerthController(['--kube', '--kubeconfig', kubeconfig('admin'),
    '--namespace', ns, '--controller-namespace', ns, '--listen', '127.0.0.1:0', '--log-level', 'info'], { output });
  controller = started.child;
  url = started.url;
  await until('controller ready', async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
});

test.after(async () => {
  await stopProcess(controller);
  if (ns) await deleteTestNamespace(ns);
});

test('one identity flooding sign-in: rate-limited, only its own oldest sessions end, another user stays signed in', async () => {
  const bob = await signIn(kubeToken('bob'));
  assert.is(bob.status, 200, output.text(3000));
  const answers: Array<{ status: number; cookie?: string; retryAfter?: string }> = [];
  for (let i = 0; i < 40; i++) answers.push(await signIn(kubeToken('alice')));
  const ok = answers.filter((a) => a.status === 200);
  const limited = answers.filter((a) => a.status === 429);
  // The burst is 20 per address, and bob's sign-in took one of them.
  assert.is(ok.length, 19, answers.map((a) => a.status).join(','));
  assert.ok(limited.length >= 20 && limited.every((a) => /^\d+$/.test(a.retryAfter ?? '')), 'the rest: 429 with Retry-After');
  // 16 sessions per identity: alice's first three are gone, her newest 16 live.
  for (const a of ok.slice(0, 3)) assert.is(await hostsWith(a.cookie!), 401, 'one of alice\'s oldest sessions ended');
  for (const a of ok.slice(3)) assert.is(await hostsWith(a.cookie!), 200, 'alice\'s newest sessions live');
  assert.is(await hostsWith(bob.cookie!), 200, 'bob was never signed out by alice\'s flood');
});

test.run();
