// Every rule of the chart is needed: each removed in turn, the controller (as the ServiceAccount) must name the denied verb and resource.
//
// The proof runs on a one-namespace install, whose Roles hold the same rules as the all-namespaces
// ClusterRole (one template block renders both) plus the signing-key ones; the status page's login
// rules (the ui-auth ClusterRole: TokenReview, SubjectAccessReview) are proven by the page's answer,
// which must name the missing permission. The install, its flow and the page: rbac.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { CHART } from '../support/helm.js';
import { createTestNamespace, kubectl, kubeToken } from '../support/kube.js';
import { asTest, cleanUp, controllerUrl, fence, fullname, helm, id, pageHosts, pageSignIn, probeYaml, sa, serving, startController, stop, type PageAnswer, type Release } from './rbac-support.js';

const single: Release = { release: `bs${id}`, ns: '', watch: '' };    // watchNamespace: a Role in `watch`

// The install the rules are taken from, and a host with its AgentToken for the controller to reconcile.
test.before(async () => {
  await installCrds();
  single.ns = await createTestNamespace('bh-rel');
  single.watch = await createTestNamespace('bh-watched');
  await fence([
    { suffix: 'in', operator: 'In', namespaces: [single.watch], user: 'admin', message: 'this namespace belongs to test/helm/rbac-rules.test.ts; another Berth controller must not write here' },
  ], single.watch);
  await helm.run(['install', single.release, CHART, '-n', single.ns, '--set', `watchNamespace=${single.watch}`], { check: true });
  await kubectl([...asTest, '-n', single.watch, 'apply', '-f', '-'], { input: probeYaml, check: true });
});

test.after(() => cleanUp({ fences: ['in'], releases: [single], containers: [] }));

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

test.run();
