// The chart's two installs as their ServiceAccounts: the objects, the exact cluster-wide rules, apply → Ready → delete, the page's login, upgrade and uninstall.
//
// The controller process runs locally AS the chart's ServiceAccount (a token from `kubectl create
// token`; there is no kubelet, so the Deployment gets no Pods) with exactly the args the chart
// renders, and passes apply → Ready → delete with a real agent and dockerd. The status page's login
// (--ui-auth=kubernetes, the chart's default) is proven the same way: as the ServiceAccount, a user
// with `get containerhosts` signs in and reads the hosts and one without gets 403. Finally `helm
// upgrade` (to ui.auth=none: no login rules, an open page) and `helm uninstall` leave nothing of the
// release behind (CRDs stay, as Helm does). That every rule is needed: rbac-rules.test.ts.
//
// Both installs run the full flow: one namespace (watchNamespace: a Role there) and all namespaces
// (a ClusterRole). The bed is shared with other tests, so admission policies fence this test in and
// others out (see fence() in rbac-support.ts).
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { docker } from '../support/docker.js';
import { CHART } from '../support/helm.js';
import { applyYaml, createTestNamespace, kubectl } from '../support/kube.js';
import { bed } from '../support/testbed.js';
import { asTest, cleanUp, fence, fullname, helm, id, logs, pageHosts, pageSignIn, probeYaml, sa, serving, spawnBerth, startController, stop, tmp, type Release } from './rbac-support.js';

const single: Release = { release: `bs${id}`, ns: '', watch: '' };    // watchNamespace: a Role in `watch`
const wide: Release = { release: `bw${id}`, ns: '', watch: '' };     // all namespaces: a ClusterRole; hosts in `watch`
const web = `t${id}-web`;   // + 1 or 2: one container per flow

test.before(async () => {
  await installCrds();
  single.ns = await createTestNamespace('bh-rel');
  single.watch = await createTestNamespace('bh-watched');
  wide.ns = await createTestNamespace('bh-wide');
  wide.watch = await createTestNamespace('bh-wide-hosts');
  await fence([
    { suffix: 'in', operator: 'In', namespaces: [single.watch, wide.watch], user: 'admin', message: 'this namespace belongs to test/helm/rbac.test.ts; another Berth controller must not write here' },
    { suffix: 'out', operator: 'NotIn', namespaces: [wide.ns, wide.watch], user: `system:serviceaccount:${wide.ns}:${sa(wide)}`, events: true, message: 'the all-namespaces controller of test/helm/rbac.test.ts must not write outside its namespaces' },
  ], single.watch);
});

test.after(() => cleanUp({ fences: ['in', 'out'], releases: [single, wide], containers: [`${web}1`, `${web}2`] }));

test('helm install (one namespace) creates the objects, the CRDs kept as they are', async () => {
  const r = await helm.run(['install', single.release, CHART, '-n', single.ns, '--set', `watchNamespace=${single.watch}`]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /STATUS: deployed/);
  assert.match(r.stdout, /watches namespace/, 'NOTES say what is watched');
  assert.match(r.stdout, /BERTH_TOKEN_FILE/, 'NOTES tell how to start an agent');
  const objects = [
    ['deployment', single.ns, fullname(single)], ['service', single.ns, fullname(single)], ['serviceaccount', single.ns, sa(single)],
    ['role', single.watch, fullname(single)], ['rolebinding', single.watch, fullname(single)],
    ['role', single.ns, `${fullname(single)}-leader`], ['rolebinding', single.ns, `${fullname(single)}-leader`],
  ];
  for (const [kind, ns, name] of objects) {
    const got = await kubectl(['-n', ns!, 'get', kind!, name!, '-o', 'name']);
    assert.is(got.code, 0, `${kind} ${ns}/${name}: ${got.stderr}`);
  }
  const uiAuth = await kubectl(['get', 'clusterrole', `${single.ns}-${fullname(single)}-ui-auth`, '-o', 'name']);
  assert.is(uiAuth.code, 0, 'the ui-auth ClusterRole (TokenReview, SubjectAccessReview)');
});

/** apply → token → agent → Ready → delete, with the controller as the release's ServiceAccount. */
async function flow(r: { release: string; ns: string }, watch: string, container: string, namespaceArg: boolean): Promise<void> {
  const hosts = `apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: app }
spec:
  containers: [{ name: ${container}, image: ${bed('BERTH_TEST_IMAGE')}, command: [sleep, "3600"] }]
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: app }
spec: { hostRef: { name: app } }
---
${probeYaml}`;
  await kubectl([...asTest, '-n', watch, 'apply', '-f', '-'], { input: hosts, check: true });
  const c = await startController(r);
  let agent: ChildProcess | undefined;
  const ours = () => c.log.join('').split('\n').filter((l) => l.includes(watch) || l.includes(r.ns));
  try {
    assert.is(c.args.includes(`--namespace=${watch}`), namespaceArg, 'watches what the values say');
    const url = await serving(c);
    const secret = await until('the token Secret', async () => {
      const s = await kubectl(['-n', watch, 'get', 'secret', 'app-agent-token', '-o', 'json']);
      return s.code === 0 ? JSON.parse(s.stdout) as { data: Record<string, string> } : undefined;
    }, 30_000).catch((e: Error) => { throw new Error(`${e.message}\n${logs()}`); });
    assert.is(Buffer.from(secret.data.url!, 'base64').toString(), `ws://${fullname(r)}.${r.ns}.svc:7070`, 'the chart\'s agent URL');
    const tokenFile = join(tmp, `${r.release}.token`);
    writeFileSync(tokenFile, Buffer.from(secret.data.token!, 'base64'), { mode: 0o600 });
    agent = spawnBerth(['agent', '--url', url.replace(/^http/, 'ws'), '--token-file', tokenFile], []);
    const wait = await kubectl(['-n', watch, 'wait', '--for=condition=Ready', 'containerhost/app', '--timeout=90s'], { timeoutMs: 100_000 });
    assert.is(wait.code, 0, `${wait.stderr}\n${logs()}`);
    const events = await kubectl(['-n', watch, 'get', 'events', '--field-selector', 'involvedObject.name=app', '-o', 'jsonpath={.items[*].reason}'], { check: true });
    assert.match(events.stdout, /Issued/, 'Events written as the ServiceAccount');
    const del = await kubectl(['-n', watch, 'delete', 'ch', 'app', '--timeout=60s'], { timeoutMs: 70_000 });
    assert.is(del.code, 0, `${del.stderr}\n${logs()}`);
    assert.is((await docker(['inspect', container])).code, 1, 'the managed container is gone');
    const lease = await kubectl(['-n', r.ns, 'get', 'lease', 'berth-controller', '-o', 'jsonpath={.spec.holderIdentity}'], { check: true });
    assert.ok(lease.stdout.length > 0, 'the Lease in the release namespace is held');
  } finally {
    await stop(agent);
    await stop(c.child);
  }
  assert.equal(ours().filter((l) => /forbidden|denied/i.test(l)), [], 'no permission was missing for this test\'s namespaces');
}

test('the controller as the ServiceAccount (one namespace): token minted, agent connects, Ready, delete removes the container', async () => {
  await flow(single, single.watch, `${web}1`, true);
});

test('the status page as the ServiceAccount: alice (get containerhosts) signs in and reads the hosts, bob gets 403', async () => {
  await applyYaml(`apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: hosts-reader }
rules: [{ apiGroups: [berth.dev], resources: [containerhosts], verbs: [get] }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: hosts-reader }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: hosts-reader }
subjects: [{ apiGroup: rbac.authorization.k8s.io, kind: User, name: alice }]
`, { namespace: single.watch });
  const c = await startController(single);
  try {
    assert.not.ok(c.args.some((a) => a.startsWith('--ui-auth')), 'the chart\'s default: --ui-auth=kubernetes');
    const url = await serving(c);
    assert.is((await pageHosts(url)).status, 401, 'no session: sign in first');
    const alice = await pageSignIn(url, 'alice');
    assert.is(alice.status, 200, alice.message);
    assert.ok(alice.cookie?.startsWith('berth_session='), 'a session cookie');
    // The informers fill the store after the start: wait for the host the flow left behind.
    const hosts = await until('alice reads the hosts', async () => { const h = await pageHosts(url, alice.cookie); return h.hosts?.includes('probe') ? h : undefined; }, 30_000);
    assert.is(hosts.status, 200);
    const bob = await pageSignIn(url, 'bob');
    assert.is(bob.status, 200, 'bob\'s token is valid: he signs in');
    const refused = await pageHosts(url, bob.cookie);
    assert.is(refused.status, 403, refused.message);
    assert.match(refused.message, /bob may not get containerhosts/);
  } finally {
    await stop(c.child);
  }
  assert.equal(c.log.join('').split('\n').filter((l) => /forbidden|denied/i.test(l)), [], 'the ServiceAccount lacked no permission');
});

test('helm install (all namespaces): its ServiceAccount may do exactly the rules, cluster-wide', async () => {
  const r = await helm.run(['install', wide.release, CHART, '-n', wide.ns]);
  assert.is(r.code, 0, r.stderr);
  const as = `system:serviceaccount:${wide.ns}:${sa(wide)}`;
  const can = async (verb: string, resource: string, scope: string[]) =>
    (await kubectl(['auth', 'can-i', verb, resource, `--as=${as}`, ...scope])).stdout.trim();
  const all = ['--all-namespaces'];
  for (const [verb, resource] of [['list', 'containerhosts.berth.dev'], ['watch', 'agenttokens.berth.dev'], ['patch', 'containerhosts.berth.dev/status'],
    ['list', 'secrets'], ['watch', 'secrets'], ['create', 'events'], ['patch', 'events'], ['create', 'tokenreviews.authentication.k8s.io'],
    ['create', 'subjectaccessreviews.authorization.k8s.io']] as const) {
    assert.is(await can(verb, resource, all), 'yes', `${verb} ${resource} --all-namespaces`);
  }
  for (const [verb, resource] of [['delete', 'containerhosts.berth.dev'], ['update', 'containerhosts.berth.dev'], ['patch', 'secrets'], ['delete', 'secrets'],
    ['list', 'pods'], ['create', 'containerhosts.berth.dev'], ['list', 'leases.coordination.k8s.io']] as const) {
    assert.is(await can(verb, resource, all), 'no', `${verb} ${resource} must NOT be granted`);
  }
  assert.is(await can('update', 'leases.coordination.k8s.io/berth-controller', ['-n', wide.ns]), 'yes');
  assert.is(await can('update', 'leases.coordination.k8s.io/someone-else', ['-n', wide.ns]), 'no', 'only its own Lease');
});

test('the controller as the ServiceAccount (all namespaces): the same flow', async () => {
  await flow(wide, wide.watch, `${web}2`, false);
});

test('helm upgrade adds and removes objects; helm uninstall leaves no stray objects, CRDs kept', async () => {
  const up1 = await helm.run(['upgrade', single.release, CHART, '-n', single.ns, '--reuse-values', '--set', 'agentService.enabled=true', '--set', 'podDisruptionBudget.enabled=true']);
  assert.is(up1.code, 0, up1.stderr);
  assert.is((await kubectl(['-n', single.ns, 'get', 'service', `${fullname(single)}-agents`, '-o', 'name'])).code, 0);
  assert.is((await kubectl(['-n', single.ns, 'get', 'pdb', fullname(single), '-o', 'name'])).code, 0);
  const up2 = await helm.run(['upgrade', single.release, CHART, '-n', single.ns, '--reuse-values', '--set', 'agentService.enabled=false', '--set', 'podDisruptionBudget.enabled=false', '--set', 'ui.auth=none']);
  assert.is(up2.code, 0, up2.stderr);
  assert.match((await kubectl(['-n', single.ns, 'get', 'service', `${fullname(single)}-agents`])).stderr, /NotFound/);
  assert.match((await kubectl(['-n', single.ns, 'get', 'pdb', fullname(single)])).stderr, /NotFound/);
  assert.match((await kubectl(['get', 'clusterrole', `${single.ns}-${fullname(single)}-ui-auth`])).stderr, /NotFound/);
  const args = (await kubectl(['-n', single.ns, 'get', 'deploy', fullname(single), '-o', 'jsonpath={.spec.template.spec.containers[0].args}'], { check: true })).stdout;
  assert.match(args, /--ui-auth=none/);
  // Without the login rules the controller still runs as the ServiceAccount, its page open.
  const open = await startController(single);
  try {
    const url = await serving(open);
    const hosts = await until('the hosts, without a sign-in', async () => { const h = await pageHosts(url); return h.hosts?.includes('probe') ? h : Promise.reject(new Error(`${h.status} ${h.message}`)); }, 30_000);
    assert.is(hosts.status, 200);
  } finally {
    await stop(open.child);
  }
  assert.equal(open.log.join('').split('\n').filter((l) => /forbidden|denied/i.test(l)), [], 'ui.auth=none needs no TokenReview/SubjectAccessReview');

  for (const r of [single, wide]) {
    const un = await helm.run(['uninstall', r.release, '-n', r.ns]);
    assert.is(un.code, 0, un.stderr);
    const selector = `app.kubernetes.io/instance=${r.release}`;
    const left = await kubectl(['get', 'deploy,svc,sa,role,rolebinding,pdb,ingress,configmap', '-A', '-l', selector, '-o', 'name'], { check: true });
    assert.is(left.stdout.trim(), '', `namespaced objects of ${r.release} left: ${left.stdout}`);
    const clusterLeft = await kubectl(['get', 'clusterrole,clusterrolebinding', '-l', selector, '-o', 'name'], { check: true });
    assert.is(clusterLeft.stdout.trim(), '', `cluster objects of ${r.release} left: ${clusterLeft.stdout}`);
    const releases = await kubectl(['-n', r.ns, 'get', 'secret', '-l', `owner=helm,name=${r.release}`, '-o', 'name'], { check: true });
    assert.is(releases.stdout.trim(), '', 'no Helm release records');
  }
  for (const crd of ['containerhosts.berth.dev', 'agenttokens.berth.dev']) {
    assert.is((await kubectl(['get', 'crd', crd, '-o', 'name'])).code, 0, `${crd} is kept`);
  }
});

test.run();
