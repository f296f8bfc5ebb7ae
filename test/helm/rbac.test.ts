// The chart installed into the real apiserver, and its RBAC proven exact: the controller process
// runs locally AS the chart's ServiceAccount (a token from `kubectl create token`; there is no
// kubelet, so the Deployment gets no Pods) with exactly the args the chart renders, and passes
// apply → Ready → delete with a real agent and dockerd. Then every rule of the chart is removed in
// turn and the controller must report a permission error naming the verb and the resource. The
// status page's login (--ui-auth=kubernetes, the chart's default) is proven the same way: as the
// ServiceAccount, a user with `get containerhosts` signs in and reads the hosts and one without gets
// 403; without either ui-auth rule (TokenReview, SubjectAccessReview) the page's answer names the
// missing permission. Finally `helm upgrade` (to ui.auth=none: no login rules, an open page) and
// `helm uninstall` leave nothing of the release behind (CRDs stay, as Helm does).
//
// Both installs run the full flow: one namespace (watchNamespace: a Role there) and all namespaces
// (a ClusterRole). The bed is shared with other tests, so admission policies fence this test in and
// others out (see fence()). The rule-removal proof runs on the one-namespace install, whose Roles
// hold the same rules as the ClusterRole (one template block renders both) plus the signing-key ones.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { docker } from '../support/docker.js';
import { CHART, controllerArgs, Helm, parseObjects } from '../support/helm.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, fenceYaml, kubectl, kubeToken, tokenKubeconfig, waitFenced, type KubeUser } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const helm = new Helm();
const tmp = mkdtempSync(join(tmpdir(), 'berth-rbac-'));
const id = randomBytes(3).toString('hex');
const single = { release: `bs${id}`, ns: '', watch: '' };    // watchNamespace: a Role in `watch`
const wide = { release: `bw${id}`, ns: '', watch: '' };     // all namespaces: a ClusterRole; hosts in `watch`
const web = `t${id}-web`;   // + 1 or 2: one container per flow
const children = new Set<ChildProcess>();
const output: string[] = [];

test.before(async () => {
  await installCrds();
  single.ns = await createTestNamespace('bh-rel');
  single.watch = await createTestNamespace('bh-watched');
  wide.ns = await createTestNamespace('bh-wide');
  wide.watch = await createTestNamespace('bh-wide-hosts');
  await fence();
});

test.after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  // Each step on its own: an apiserver restarted by another test must not leave the rest undone.
  const steps: Array<() => Promise<unknown>> = [
    () => kubectl(['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy', `${fenceName}-in`, `${fenceName}-out`, '--ignore-not-found']),
    ...[single, wide].filter((r) => r.ns).map((r) => () => helm.run(['uninstall', r.release, '-n', r.ns])),
    // ContainerHosts keep their finalizer when the controller is gone: drop it so the namespace goes.
    ...[single.watch, wide.watch].filter(Boolean).map((ns) => () => kubectl(['-n', ns, 'patch', 'ch', 'app', 'probe', '--type=merge', '-p', '{"metadata":{"finalizers":null}}'])),
    ...[single.ns, single.watch, wide.ns, wide.watch].filter(Boolean).map((ns) => () => deleteTestNamespace(ns)),
    () => docker(['rm', '-f', `${web}1`, `${web}2`]),
  ];
  for (const step of steps) { try { await step(); } catch (err) { console.error(`cleanup step failed: ${(err as Error).message}`); } }
  helm.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

const sa = (r: { release: string }) => `${r.release}-berth`;
const fullname = sa;

/** A kubeconfig that authenticates as the release's ServiceAccount with a fresh bound token. */
async function saKubeconfig(r: { release: string; ns: string }): Promise<string> {
  const token = (await kubectl(['-n', r.ns, 'create', 'token', sa(r), '--duration=1h'], { check: true })).stdout.trim();
  return tokenKubeconfig(token, join(tmp, `${r.release}.kubeconfig`));
}

function spawnBerth(args: string[], log: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const keep = (c: Buffer) => { log.push(c.toString()); output.push(c.toString()); if (output.length > 2000) output.splice(0, 1000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); setTimeout(() => child.kill('SIGKILL'), 10_000).unref(); });
}

/** The controller exactly as the installed chart runs it, but here, as its ServiceAccount. */
async function startController(r: { release: string; ns: string }): Promise<{ child: ChildProcess; log: string[]; args: string[] }> {
  const manifest = (await helm.run(['get', 'manifest', r.release, '-n', r.ns], { check: true })).stdout;
  const args = controllerArgs(parseObjects(manifest)).map((a) => (a.startsWith('--listen=') ? '--listen=127.0.0.1:0' : a));
  const log: string[] = [];
  const child = spawnBerth(['controller', ...args, `--kubeconfig=${await saKubeconfig(r)}`], log);
  return { child, log, args };
}

/**
 * The bed is shared, and a Berth controller reconciles every ContainerHost it can see:
 * - in: other tests run controllers that watch ALL namespaces as the bed's admin (mode.test does);
 *   they would mint this test's tokens with their own key and write its status. The bed's `admin`
 *   may not create or update ContainerHosts, AgentTokens (status included) or Secrets in this
 *   test's host namespaces; the test itself writes there as another system:masters identity
 *   (impersonation, `asTest`), the controllers under test as their ServiceAccounts.
 * - out: this test's all-namespaces controller must not write to other tests' hosts: its
 *   ServiceAccount may not create or update those resources (nor Events) outside its own namespaces.
 *   It still lists and watches everything, which is what the cluster-wide install is about.
 */
const fenceName = `berth-test-rbac-${id}`;
const asTest = ['--as=berth-rbac-test', '--as-group=system:masters'];
async function fence(): Promise<void> {
  await applyYaml([
    fenceYaml({ name: `${fenceName}-in`, operator: 'In', namespaces: [single.watch, wide.watch], user: 'admin', message: 'this namespace belongs to test/helm/rbac.test.ts; another Berth controller must not write here' }),
    fenceYaml({ name: `${fenceName}-out`, operator: 'NotIn', namespaces: [wide.ns, wide.watch], user: `system:serviceaccount:${wide.ns}:${sa(wide)}`, events: true, message: 'the all-namespaces controller of test/helm/rbac.test.ts must not write outside its namespaces' }),
  ].join('---\n'));
  await waitFenced(single.watch, /belongs to test\/helm\/rbac/);
}

const controllerUrl = (log: string[]) => /"url":"(http:\/\/[^"]+)"/.exec(log.join(''))?.[1];
const logs = () => output.join('').slice(-6000);

/** The started controller's URL, once it serves. */
function serving(c: { child: ChildProcess; log: string[] }): Promise<string> {
  return until('the controller serves', () => controllerUrl(c.log) ?? (c.child.exitCode !== null ? Promise.reject(new Error(`exited: ${logs()}`)) : undefined), 30_000);
}

interface PageAnswer { status: number; message: string; cookie?: string; hosts?: string[] }

/** POST /api/v1/session with a bed user's bearer token, as the page's sign-in form does. */
async function pageSignIn(url: string, user: KubeUser): Promise<PageAnswer> {
  const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: kubeToken(user) }) });
  const body = await res.json() as { message?: string };
  const cookie = res.headers.get('set-cookie')?.split(';')[0];
  return { status: res.status, message: body.message ?? '', ...(cookie ? { cookie } : {}) };
}

/** GET /api/v1/hosts with a session cookie (none: anonymous). */
async function pageHosts(url: string, cookie?: string): Promise<PageAnswer> {
  const res = await fetch(`${url}/api/v1/hosts`, cookie ? { headers: { Cookie: cookie } } : {});
  const body = await res.json() as { message?: string; items?: Array<{ metadata: { name: string } }> };
  return { status: res.status, message: body.message ?? '', ...(body.items ? { hosts: body.items.map((h) => h.metadata.name) } : {}) };
}

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
apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: probe }
spec: { containers: [] }
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: probe }
spec: { hostRef: { name: probe } }
`;
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

interface RuleCase {
  role: 'watch' | 'leader' | 'uiAuth';
  /** Picks the rule to remove. */
  match: (rule: { resources: string[]; verbs: string[]; resourceNames?: string[] }) => boolean;
  /** Bring the cluster to where the rule is needed. */
  setup?: () => Promise<unknown>;
  /** What the controller must say. */
  expect: RegExp;
  /** The controller keeps running and lists the refusal in GET /api/v1/sources too. */
  inSources?: boolean;
  /** The refusal shows in this answer of the status page (with this HTTP status) instead of the log. */
  page?: { ask: (url: string) => Promise<PageAnswer>; status: number };
}

const cases: Record<string, RuleCase> = {
  'berth.dev containerhosts/agenttokens': { role: 'watch', match: (r) => r.resources.includes('containerhosts'), expect: /cannot list resource \\?"(containerhosts|agenttokens)\\?"/ },
  'status subresources': {
    role: 'watch', match: (r) => r.resources.includes('containerhosts/status'), expect: /cannot patch resource \\?"(containerhosts|agenttokens)\/status\\?"/, inSources: true,
    // The controller writes status only when it differs: take away what it wrote before.
    setup: () => kubectl([...asTest, '-n', single.watch, 'patch', 'ch', 'probe', '--subresource=status', '--type=merge', '-p', '{"status":null}'], { check: true }),
  },
  'secrets (watched namespace)': { role: 'watch', match: (r) => r.resources.includes('secrets'), expect: /cannot list resource \\?"secrets\\?"/ },
  'configmaps (files volumes, envFrom)': { role: 'watch', match: (r) => r.resources.includes('configmaps'), expect: /cannot list resource \\?"configmaps\\?"/ },
  'events': {
    role: 'watch', match: (r) => r.resources.includes('events'), expect: /cannot create resource \\?"events\\?"/, inSources: true,
    setup: () => kubectl([...asTest, '-n', single.watch, 'annotate', 'at', 'probe', `berth.dev/rotate=${Date.now()}`, '--overwrite'], { check: true }),
  },
  'lease create': {
    role: 'leader', match: (r) => r.resources.includes('leases') && !r.resourceNames, expect: /cannot create resource \\?"leases\\?"/,
    setup: () => kubectl(['-n', single.ns, 'delete', 'lease', 'berth-controller', '--ignore-not-found'], { check: true }),
  },
  'lease get/update': { role: 'leader', match: (r) => r.resources.includes('leases') && !!r.resourceNames, expect: /cannot get resource \\?"leases\\?"/ },
  'signing key get': { role: 'leader', match: (r) => r.resources.includes('secrets') && !!r.resourceNames, expect: /cannot get resource \\?"secrets\\?"/ },
  // The status page's login (ui-auth ClusterRole): what a signing-in user is told.
  'tokenreviews (page sign-in)': {
    role: 'uiAuth', match: (r) => r.resources.includes('tokenreviews'), expect: /cannot create resource "tokenreviews" in API group "authentication.k8s.io"/,
    page: { ask: (url) => pageSignIn(url, 'alice'), status: 503 },
  },
  'subjectaccessreviews (page access)': {
    role: 'uiAuth', match: (r) => r.resources.includes('subjectaccessreviews'), expect: /cannot create resource "subjectaccessreviews" in API group "authorization.k8s.io"/,
    // Sign-in needs only TokenReview; reading the hosts needs the SubjectAccessReview.
    page: {
      ask: async (url) => {
        const s = await pageSignIn(url, 'alice');
        assert.is(s.status, 200, `sign-in without subjectaccessreviews: ${s.message}`);
        return pageHosts(url, s.cookie);
      },
      status: 403,
    },
  },
  // Last: it needs the signing key gone, which invalidates every token minted so far.
  'signing key create': {
    role: 'leader', match: (r) => r.resources.includes('secrets') && !r.resourceNames, expect: /cannot create resource \\?"secrets\\?"/,
    setup: () => kubectl(['-n', single.ns, 'delete', 'secret', 'berth-signing-key', '--ignore-not-found'], { check: true }),
  },
};

test('every rule is needed: without it the controller names the verb and resource it was denied', async () => {
  const roleRef = {
    watch: ['-n', single.watch, 'role', fullname(single)],
    leader: ['-n', single.ns, 'role', `${fullname(single)}-leader`],
    uiAuth: ['clusterrole', `${single.ns}-${fullname(single)}-ui-auth`],
  };
  const read = async (role: RuleCase['role']) => JSON.parse((await kubectl(['get', '-o', 'json', ...roleRef[role]], { check: true })).stdout);
  const originals = { watch: await read('watch'), leader: await read('leader'), uiAuth: await read('uiAuth') };
  // Every rule of both Roles and of the status page's ui-auth ClusterRole has exactly one case, and
  // every case picks exactly one rule (rule by rule: equal counts could hide a rule with no case
  // behind a case matching two).
  type Rule = { apiGroups?: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
  for (const role of ['watch', 'leader', 'uiAuth'] as const) {
    const rules = (originals[role] as { rules: Rule[] }).rules;
    for (const rule of rules) {
      const by = Object.entries(cases).filter(([, c]) => c.role === role && c.match(rule)).map(([n]) => n);
      assert.is(by.length, 1, `${role} rule ${JSON.stringify(rule)} is removed by exactly one case (${by.join(', ') || 'none'})`);
    }
  }
  for (const [name, c] of Object.entries(cases)) {
    const hits = (originals[c.role] as { rules: Rule[] }).rules.filter(c.match).length;
    assert.is(hits, 1, `${name} picks exactly one ${c.role} rule (${hits})`);
  }
  const replace = (obj: { metadata: Record<string, unknown>; [field: string]: unknown }) => {
    const { resourceVersion: _rv, ...metadata } = obj.metadata;
    return kubectl(['replace', '-f', '-'], { input: JSON.stringify({ ...obj, metadata }), check: true });
  };
  for (const [name, c] of Object.entries(cases)) {
    const original = originals[c.role] as { rules: Array<{ resources: string[]; verbs: string[]; resourceNames?: string[] }>; metadata: Record<string, unknown> };
    const idx = original.rules.findIndex(c.match);
    assert.ok(idx >= 0, `${name}: rule found`);
    await replace({ ...original, rules: original.rules.filter((_, i) => i !== idx) });
    try {
      await c.setup?.();
      const ctl = await startController(single);
      try {
        let line: string;
        if (c.page) {
          const { ask, status } = c.page;
          const url = await serving(ctl);
          // RBAC changes reach the apiserver's authorizer within moments: ask until it refuses.
          const answer = await until(`${name}: the page is refused`, async () => {
            const a = await ask(url);
            return a.status === status && c.expect.test(a.message) ? a : Promise.reject(new Error(`${a.status} ${a.message}`));
          }, 30_000);
          line = answer.message;
          assert.not.match(line, /try again/, `${name}: a retry does not fix RBAC`);
        } else {
          await until(`${name}: a permission error`, () => c.expect.exec(ctl.log.join('')) ?? undefined, 30_000)
            .catch((e: Error) => { throw new Error(`${e.message}\n${ctl.log.join('').slice(-3000)}`); });
          line = ctl.log.join('').split('\n').find((l) => c.expect.test(l))!;
        }
        // The error names who was refused and points at the fix.
        assert.match(line, new RegExp(`system:serviceaccount:${single.ns}:${sa(single)}`), `${name}: names the ServiceAccount`);
        assert.match(line, /RBAC/, `${name}: says it is an RBAC problem: ${line}`);
        if (c.inSources) {
          // The page's API asks who reads it (--ui-auth=kubernetes): the bed's admin may read everything.
          const sources = await fetch(`${controllerUrl(ctl.log)}/api/v1/sources`, { headers: { Authorization: `Bearer ${kubeToken('admin')}` } })
            .then((res) => res.json()) as { problems?: Array<{ message: string }> };
          const listed = (sources.problems ?? []).map((p) => p.message).filter((m) => m.startsWith('permission denied: ') && c.expect.test(m));
          assert.ok(listed.length > 0, `${name}: GET /api/v1/sources lists it: ${JSON.stringify(sources)}`);
        }
      } finally {
        await stop(ctl.child);
      }
    } finally {
      await replace(original);
    }
  }
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
