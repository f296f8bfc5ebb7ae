// The Helm chart without installing it: `helm lint --strict`, the values schema, renders with
// several values sets — each applied to the real apiserver with `kubectl apply --dry-run=server` —
// what each set must (not) render, crds/ identical to the top-level crds/, and manifests/install.yaml
// up to date.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { installCrds } from '../support/berth.js';
import { CHART, controllerArgs, find, Helm, type K8sObject } from '../support/helm.js';
import { createTestNamespace, deleteTestNamespace, kubectl, run } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';
import { INSTALL_YAML, REGENERATE, renderInstall } from '../tools/render-install.js';

const helm = new Helm();
const namespaces: string[] = [];
let releaseNs = '';
let watchNs = '';

test.before(async () => {
  await installCrds();
  releaseNs = await createTestNamespace('bh-chart');
  watchNs = await createTestNamespace('bh-watch');
  namespaces.push(releaseNs, watchNs);
  // The `helm test` Pod runs as the namespace's `default` ServiceAccount, which a real cluster's
  // controller-manager creates (the bed has none); Pod admission refuses the Pod without it.
  await kubectl(['-n', releaseNs, 'create', 'serviceaccount', 'default'], { check: true });
});

test.after(async () => {
  for (const ns of namespaces) await deleteTestNamespace(ns);
  helm.cleanup();
});

const kinds = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const rulesOf = (o: K8sObject | undefined) => (o as unknown as { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }> } | undefined)?.rules ?? [];

test('helm lint --strict passes', async () => {
  const r = await helm.run(['lint', '--strict', CHART]);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
});

test('helm package makes an archive with the CRDs, the schema and the NOTES', async () => {
  const out = join(helm.home, 'pkg');
  const r = await helm.run(['package', CHART, '-d', out]);
  assert.is(r.code, 0, r.stderr);
  const { version } = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { version: string };
  const list = await run('tar', ['-tzf', join(out, `berth-${version}.tgz`)], { check: true });
  for (const f of ['berth/Chart.yaml', 'berth/values.yaml', 'berth/values.schema.json', 'berth/crds/containerhosts.yaml', 'berth/crds/agenttokens.yaml', 'berth/templates/NOTES.txt', 'berth/templates/rbac.yaml']) {
    assert.ok(list.stdout.split('\n').includes(f), `${f} in the archive`);
  }
});

test('helm/berth/crds is identical to the top-level crds/', () => {
  const top = readdirSync(join(repoRoot, 'crds')).sort();
  const chart = readdirSync(join(CHART, 'crds')).sort();
  assert.equal(chart, top, 'the same files');
  for (const f of top) {
    assert.ok(readFileSync(join(CHART, 'crds', f), 'utf8') === readFileSync(join(repoRoot, 'crds', f), 'utf8'),
      `helm/berth/crds/${f} differs from crds/${f}: copy it over (cp crds/*.yaml helm/berth/crds/)`);
  }
});

test('the values schema refuses a bad value and names it', async () => {
  const r = await helm.run(['template', 'bad', CHART, '--set', 'ui.auth=basic']);
  assert.is.not(r.code, 0);
  assert.match(r.stderr, /ui\.auth|auth/);
  assert.match(r.stderr, /kubernetes|none/);
  const n = await helm.run(['template', 'bad', CHART, '--set', 'watchNamespace=Not_A_Namespace']);
  assert.is.not(n.code, 0);
  assert.match(n.stderr, /watchNamespace/);
});

const valueSets: Array<{ name: string; set: () => string[]; check: (objects: K8sObject[], release: string) => void }> = [
  {
    name: 'defaults: all namespaces, ClusterRole, kubernetes UI auth',
    set: () => [],
    check: (objects, release) => {
      const args = controllerArgs(objects);
      assert.ok(args.includes('--kube'));
      assert.ok(args.includes(`--controller-namespace=${releaseNs}`));
      assert.not.ok(args.some((a) => a.startsWith('--namespace=')), 'no --namespace: every namespace');
      assert.not.ok(args.some((a) => a.startsWith('--ui-auth')), '--ui-auth is only passed for none');
      assert.ok(args.includes(`--agent-url=ws://${release}-berth.${releaseNs}.svc:7070`));
      const cr = find(objects, 'ClusterRole', `${releaseNs}-${release}-berth`);
      assert.ok(cr, 'the watch rules are a ClusterRole');
      assert.ok(find(objects, 'ClusterRoleBinding', `${releaseNs}-${release}-berth`));
      assert.ok(find(objects, 'ClusterRole', `${releaseNs}-${release}-berth-ui-auth`), 'TokenReview/SAR for the login');
      assert.is(find(objects, 'Role', `${release}-berth`), undefined);
      assert.equal(kinds(objects).filter((k) => /^(Ingress|PodDisruptionBudget)\//.test(k)), [], 'Ingress and PDB are opt-in');
      const deploy = find(objects, 'Deployment') as unknown as { spec: { replicas: number; template: { spec: { securityContext: { runAsNonRoot: boolean }; containers: Array<{ securityContext: { readOnlyRootFilesystem: boolean }; readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } } }> } } } };
      assert.is(deploy.spec.replicas, 2);
      assert.is(deploy.spec.template.spec.securityContext.runAsNonRoot, true);
      assert.is(deploy.spec.template.spec.containers[0]!.securityContext.readOnlyRootFilesystem, true);
      assert.is(deploy.spec.template.spec.containers[0]!.readinessProbe.httpGet.path, '/readyz');
      assert.is(deploy.spec.template.spec.containers[0]!.livenessProbe.httpGet.path, '/healthz');
    },
  },
  {
    name: 'one namespace, no UI auth: a Role there, no ClusterRole at all',
    set: () => [`watchNamespace=${watchNs}`, 'ui.auth=none', 'replicaCount=1'],
    check: (objects, release) => {
      const args = controllerArgs(objects);
      assert.ok(args.includes(`--namespace=${watchNs}`));
      assert.ok(args.includes('--ui-auth=none'));
      assert.equal(objects.filter((o) => o.kind.startsWith('Cluster')), [], 'nothing cluster-scoped');
      const role = find(objects, 'Role', `${release}-berth`);
      assert.is(role?.metadata.namespace, watchNs);
      assert.is(find(objects, 'RoleBinding', `${release}-berth`)?.metadata.namespace, watchNs);
      const leader = find(objects, 'Role', `${release}-berth-leader`);
      assert.is(leader?.metadata.namespace, releaseNs);
      assert.ok(rulesOf(leader).some((r) => r.resources.includes('secrets') && r.resourceNames?.includes('berth-signing-key')),
        'the signing-key Secret lives in the release namespace, outside the watched one');
    },
  },
  {
    name: 'watching the release namespace itself: one Role holds the signing key too',
    set: () => [`watchNamespace=${releaseNs}`, 'fullnameOverride=berth-same'],
    check: (objects) => {
      assert.is(find(objects, 'Role', 'berth-same')?.metadata.namespace, releaseNs);
      assert.not.ok(rulesOf(find(objects, 'Role', 'berth-same-leader')).some((r) => r.resources.includes('secrets')), 'no duplicate Secret rules');
    },
  },
  {
    name: 'everything on: Ingress with TLS, agent LoadBalancer, PDB, digest, extra args and env',
    set: () => ['ingress.enabled=true', 'ingress.className=nginx', 'ingress.tls[0].secretName=berth-tls', 'ingress.tls[0].hosts[0]=berth.example.com',
      'agentService.enabled=true', 'agentService.loadBalancerSourceRanges[0]=10.0.0.0/8', 'podDisruptionBudget.enabled=true',
      `image.digest=sha256:${'a'.repeat(64)}`, 'extraArgs[0]=--workers=8', 'extraEnv[0].name=TZ', 'extraEnv[0].value=UTC',
      'agentUrl=wss://berth.example.com', 'podAnnotations.team=ops', 'nodeSelector.kubernetes\\.io/os=linux', 'serviceAccount.name=berth-sa'],
    check: (objects, release) => {
      assert.ok(find(objects, 'Ingress'));
      assert.ok(find(objects, 'Service', `${release}-berth-agents`));
      assert.ok(find(objects, 'PodDisruptionBudget'));
      assert.ok(find(objects, 'ServiceAccount', 'berth-sa'));
      const args = controllerArgs(objects);
      assert.ok(args.includes('--agent-url=wss://berth.example.com'));
      assert.ok(args.includes('--workers=8'));
      assert.match(JSON.stringify(find(objects, 'Deployment')), /@sha256:a{64}/);
    },
  },
  {
    name: 'bring your own ServiceAccount and RBAC',
    set: () => ['rbac.create=false', 'serviceAccount.create=false', 'serviceAccount.name=my-berth'],
    check: (objects) => {
      assert.equal(kinds(objects).filter((k) => /Role|ServiceAccount/.test(k)), []);
      assert.match(JSON.stringify(find(objects, 'Deployment')), /"serviceAccountName":"my-berth"/);
    },
  },
];

for (const vs of valueSets) {
  test(`helm template + kubectl apply --dry-run=server: ${vs.name}`, async () => {
    const release = `r${namespaces.length}${vs.name.length}`.slice(0, 10);
    const { yaml, objects } = await helm.template(release, releaseNs, vs.set(), { includeCrds: true });
    vs.check(objects, release);
    const r = await kubectl(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], { input: yaml });
    assert.is(r.code, 0, `the apiserver refused the render:\n${r.stderr}`);
    for (const o of objects) assert.match(r.stdout, new RegExp(`${o.metadata.name}.*\\(server dry run\\)`), `${o.kind}/${o.metadata.name} applied`);
  });
}

test('TLS from a Secret cert-manager fills: flags, the Secret volume, HTTPS probes, wss agent URL, the Certificate', async () => {
  const release = 'rtls';
  const { yaml, objects } = await helm.template(release, releaseNs, ['tls.certManager.enabled=true', 'tls.certManager.issuerRef.name=berth-ca',
    'tls.certManager.issuerRef.kind=ClusterIssuer', 'tls.certManager.dnsNames[0]=berth.example.com']);
  const args = controllerArgs(objects);
  for (const a of ['--tls-cert=/etc/berth/tls/tls.crt', '--tls-key=/etc/berth/tls/tls.key', '--tls-ca=/etc/berth/tls/ca.crt', `--agent-url=wss://${release}-berth.${releaseNs}.svc:7070`]) assert.ok(args.includes(a), a);
  const pod = (find(objects, 'Deployment') as unknown as { spec: { template: { spec: { volumes: Array<{ name: string; secret?: { secretName: string } }>; containers: Array<{ readinessProbe: { httpGet: { scheme?: string } }; volumeMounts: Array<{ name: string; mountPath: string }> }> } } } }).spec.template.spec;
  assert.is(pod.volumes.find((v) => v.name === 'tls')?.secret?.secretName, `${release}-berth-tls`);
  assert.ok(pod.containers[0]!.volumeMounts.some((m) => m.name === 'tls' && m.mountPath === '/etc/berth/tls'), 'a whole-Secret mount (subPath would never see a renewal)');
  assert.is(pod.containers[0]!.readinessProbe.httpGet.scheme, 'HTTPS');
  const cert = find(objects, 'Certificate') as unknown as { spec: { secretName: string; dnsNames: string[]; issuerRef: { name: string; kind: string } } };
  assert.is(cert.spec.secretName, `${release}-berth-tls`);
  assert.equal(cert.spec.issuerRef, { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'berth-ca' });
  assert.ok(cert.spec.dnsNames.includes('berth.example.com') && cert.spec.dnsNames.includes(`${release}-berth.${releaseNs}.svc`));
  // The bed has no cert-manager CRDs: everything but the Certificate goes to the real apiserver.
  const rest = yaml.split(/^---$/m).filter((doc) => !/^kind: Certificate$/m.test(doc)).join('---');
  const r = await kubectl(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], { input: rest });
  assert.is(r.code, 0, `the apiserver refused the render:\n${r.stderr}`);
  const own = await helm.template('rtls2', releaseNs, ['tls.secretName=my-cert', 'tls.publishCa=false']);
  const ownArgs = controllerArgs(own.objects);
  assert.ok(ownArgs.includes('--tls-cert=/etc/berth/tls/tls.crt'));
  assert.not.ok(ownArgs.some((a) => a.startsWith('--tls-ca')), 'publishCa=false: no ca.crt expected in the Secret');
  assert.is(find(own.objects, 'Certificate'), undefined);
  const bad = await helm.run(['template', 'bad', CHART, '--set', 'tls.certManager.enabled=true']);
  assert.match(bad.stderr, /needs tls\.certManager\.issuerRef\.name/);
});

test(`manifests/install.yaml is the chart rendered with defaults (else: ${REGENERATE})`, () => {
  const expected = renderInstall(bed('BERTH_TEST_HELM'), { ...process.env, HELM_CACHE_HOME: join(helm.home, 'c'), HELM_CONFIG_HOME: join(helm.home, 'cf'), HELM_DATA_HOME: join(helm.home, 'd') });
  let actual = '';
  try { actual = readFileSync(INSTALL_YAML, 'utf8'); } catch { /* missing: same message */ }
  assert.ok(actual === expected, `manifests/install.yaml is out of date with helm/berth — run: ${REGENERATE}`);
});

test('manifests/install.yaml applies to the real apiserver (server dry run)', async () => {
  // Into a namespace of the test's own (berth-system may be in use on the shared bed): the same text
  // with the namespace swapped, so every namespaced object is checked against an existing namespace.
  const text = readFileSync(INSTALL_YAML, 'utf8').replaceAll('berth-system', releaseNs);
  const r = await kubectl(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], { input: text });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /customresourcedefinition.apiextensions.k8s.io\/containerhosts.berth.dev .*\(server dry run\)/);
  assert.match(r.stdout, /deployment.apps\/berth .*\(server dry run\)/);
});

test.run();
