// Helpers for tests that talk to the test bed's real kube-apiserver through its real kubectl.
// Every call names the kubeconfig (i.e. the user) it acts as; nothing reads ~/.kube.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bed } from './testbed.js';
import { repoRoot } from './paths.js';

export interface RunResult { code: number; stdout: string; stderr: string }

export interface RunOptions {
  /** stdin for the command (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Throw (with the command, code and stderr) when it exits non-zero. Default false. */
  check?: boolean;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command; resolves with its exit code and output, never rejects on a non-zero exit unless `check`. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, {
      timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env,
    }, (err, stdout, stderr) => {
      // execFile reports spawn failures (ENOENT) with a string code; those are always errors.
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') { reject(err); return; }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const result = { code, stdout: String(stdout), stderr: String(stderr) };
      if (opts.check && code !== 0) {
        reject(new Error(`${file} ${args.join(' ')} exited ${code}${err?.killed ? ' (killed: timeout)' : ''}\n${result.stderr}${result.stdout}`));
      } else resolve(result);
    });
    // kubectl exiting before it reads its input (EPIPE) is reported by its exit code, not this.
    child.stdin?.on('error', () => { /* see above */ });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

export type KubeUser = 'admin' | 'alice' | 'bob';

/** The kubeconfig file of one of the bed's users. */
export function kubeconfig(user: KubeUser = 'admin'): string {
  return bed(user === 'admin' ? 'BERTH_TEST_KUBECONFIG' : `BERTH_TEST_KUBECONFIG_${user.toUpperCase()}`);
}

/** The static bearer token of one of the bed's users. */
export function kubeToken(user: KubeUser = 'admin'): string {
  return bed(`BERTH_TEST_TOKEN_${user.toUpperCase()}`);
}

/** `kubectl --kubeconfig <file> ...args`. `as` is a user name or a kubeconfig path. */
export function kubectl(args: readonly string[], opts: RunOptions & { as?: KubeUser | string } = {}): Promise<RunResult> {
  const as = opts.as ?? 'admin';
  const config = as === 'admin' || as === 'alice' || as === 'bob' ? kubeconfig(as) : as;
  return run(bed('BERTH_TEST_KUBECTL'), ['--kubeconfig', config, ...args], opts);
}

/** `kubectl apply -f -` with the given manifest(s); throws on failure. */
export async function applyYaml(yaml: string, opts: { as?: KubeUser | string; namespace?: string } = {}): Promise<RunResult> {
  const ns = opts.namespace ? ['-n', opts.namespace] : [];
  return kubectl([...ns, 'apply', '-f', '-'], { ...opts, input: yaml, check: true });
}

/** A fresh, uniquely named namespace, e.g. `berth-t-kube-3f9a1c`. Labelled so leftovers can be found. */
export async function createTestNamespace(prefix = 'berth-t', labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`.toLowerCase().slice(0, 63);
  const all = { 'berth.test/owner': 'testbed', ...labels };
  const labelYaml = Object.entries(all).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join('\n');
  await applyYaml(`apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  labels:\n${labelYaml}\n`);
  return name;
}

let namespacedKinds: Promise<string[]> | undefined;

/**
 * Deletes a test namespace and what is in it. There is no controller-manager, so the namespace
 * controller never empties and finalizes a deleted namespace (it would stay `Terminating` forever and
 * pile up in etcd): this does that job — delete every namespaced object, then clear the namespace's
 * `kubernetes` finalizer through the /finalize subresource, which lets the apiserver remove it.
 */
export async function deleteTestNamespace(name: string): Promise<void> {
  namespacedKinds ??= kubectl(['api-resources', '--namespaced=true', '--verbs=list,delete', '-o', 'name'], { check: true })
    .then((r) => r.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  const kinds = await namespacedKinds;
  // Berth's own kinds may still hold its cleanup finalizer (the test's controller is gone). Finalizing
  // the namespace does not remove them: they would stay in etcd as orphans that every later
  // all-namespaces controller lists and reconciles. So drop their finalizers first, while the
  // namespace still exists (the apiserver refuses writes into a deleted one).
  // Only objects that hold a finalizer, 100 names per kubectl: one process per object took over
  // ten minutes for a 5,000-host bench namespace.
  // Checked and retried: a namespace fence (fenceYaml) the test just deleted can refuse these
  // patches for a few seconds more (the apiserver's policy cache) — every test run of
  // gitops/health left its host behind that way.
  for (const kind of kinds.filter((k) => k.endsWith('.berth.dev'))) {
    for (let attempt = 0; ; attempt++) {
      const held = await kubectl(['get', kind, '-n', name, '--ignore-not-found', '-o', 'jsonpath={range .items[?(@.metadata.finalizers)]}{.metadata.name}{"\\n"}{end}']);
      const names = held.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      if (names.length === 0) break;
      if (attempt === 40) { process.stderr.write(`deleteTestNamespace ${name}: ${names.length} ${kind} still hold finalizers after 20 s; they will stay in etcd\n`); break; }
      if (attempt > 0) await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < names.length; i += 100) {
        await kubectl(['-n', name, 'patch', kind, ...names.slice(i, i + 100), '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
      }
    }
  }
  await kubectl(['delete', kinds.join(','), '--all', '-n', name, '--ignore-not-found', '--wait=false'], { check: true });
  const gone = await kubectl(['get', 'namespace', name, '-o', 'name']);
  if (gone.code !== 0 && /NotFound/.test(gone.stderr)) return;
  await kubectl(['delete', 'namespace', name, '--ignore-not-found', '--wait=false'], { check: true });
  const ns = JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers: [] } });
  const fin = await kubectl(['replace', '--raw', `/api/v1/namespaces/${name}/finalize`, '-f', '-'], { input: ns });
  if (fin.code !== 0 && !/NotFound/.test(fin.stderr)) throw new Error(`finalizing namespace ${name} failed: ${fin.stderr}`);
}

/** A raw GET against the apiserver with a bearer token, trusting the bed's CA (Node's fetch can't take a CA). */
export function apiGet(path: string, token: string = kubeToken('admin')): Promise<{ status: number; body: string }> {
  const url = new URL(path, bed('BERTH_TEST_APISERVER_URL'));
  const ca = readFileSync(bed('BERTH_TEST_KUBE_CA'));
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', ca, headers: { Authorization: `Bearer ${token}` }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Stops and restarts only the kube-apiserver (etcd keeps the data), waiting until it is ready. */
export async function restartApiserver(): Promise<void> {
  await run('bash', [join(repoRoot, 'test/env/kube.sh'), 'kube_restart_apiserver'], { check: true, timeoutMs: 120_000 });
}

/** A Role granting `get` on RESOURCES of berth.dev, bound to USER (apply it with `{ namespace }`). */
export function readerRoleYaml(name: string, resources: readonly string[], user: string): string {
  return `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: ${name} }
rules:
- { apiGroups: [berth.dev], resources: ${JSON.stringify(resources)}, verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: ${name} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name} }
subjects:
- { apiGroup: rbac.authorization.k8s.io, kind: User, name: ${user} }
`;
}

export interface Fence {
  name: string;
  /** `In`: the fence covers these namespaces; `NotIn`: every namespace but these. */
  operator: 'In' | 'NotIn';
  namespaces: readonly string[];
  /** The identity refused (e.g. `admin`, or a controller's ServiceAccount). */
  user: string;
  /** Refuse its Events too (a controller fenced out of other tests' namespaces). */
  events?: boolean;
  message: string;
}

/**
 * A ValidatingAdmissionPolicy (+ binding) that refuses USER's creates and updates of Berth objects
 * and Secrets in the fenced namespaces. The bed is shared: a controller watching all namespaces
 * (another test, another worktree) must not write to this test's objects, nor this test's
 * controller to theirs. Policies take effect asynchronously: see `waitFenced`.
 */
export function fenceYaml(f: Fence): string {
  return `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: { name: ${f.name} }
spec:
  failurePolicy: Fail
  matchConstraints:
    namespaceSelector: { matchExpressions: [{ key: kubernetes.io/metadata.name, operator: ${f.operator}, values: [${f.namespaces.join(', ')}] }] }
    resourceRules:
    - { apiGroups: [berth.dev], apiVersions: ["*"], operations: [CREATE, UPDATE], resources: [containerhosts, containerhosts/status, agenttokens, agenttokens/status] }
    - { apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [secrets${f.events ? ', events' : ''}] }
  validations:
  - expression: "request.userInfo.username != '${f.user}'"
    message: "${f.message}"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: { name: ${f.name} }
spec: { policyName: ${f.name}, validationActions: [Deny] }
`;
}

/** Waits until `admin`'s dry-run Secret create in NAMESPACE is refused with a message matching MESSAGE. */
export async function waitFenced(namespace: string, message: RegExp): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await kubectl(['-n', namespace, 'create', 'secret', 'generic', 'fence-check', '--dry-run=server']);
    if (r.code !== 0 && message.test(r.stderr)) return;
    if (Date.now() > end) throw new Error(`the namespace fence on ${namespace} is not in force after 30 s: ${r.stderr.trim()}`);
    await new Promise((r2) => setTimeout(r2, 200));
  }
}

/**
 * A kubeconfig FILE for a cluster-admin ServiceAccount NAMESPACE/NAME (created here, with the
 * ClusterRoleBinding BINDING; the caller deletes the binding after). A controller under test runs
 * as it rather than as `admin`, so that fences can tell its writes apart.
 */
export async function clusterAdminKubeconfig(namespace: string, name: string, binding: string, file: string): Promise<string> {
  await kubectl(['-n', namespace, 'create', 'serviceaccount', name], { check: true });
  await kubectl(['create', 'clusterrolebinding', binding, '--clusterrole=cluster-admin', `--serviceaccount=${namespace}:${name}`], { check: true });
  const token = (await kubectl(['-n', namespace, 'create', 'token', name, '--duration=2h'], { check: true })).stdout.trim();
  return tokenKubeconfig(token, file);
}

/** A kubeconfig FILE (0600) for the bed's apiserver that authenticates with the bearer TOKEN. */
export function tokenKubeconfig(token: string, file: string): string {
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'sa',
    clusters: [{ name: 'bed', cluster: { server: bed('BERTH_TEST_APISERVER_URL'), 'certificate-authority': bed('BERTH_TEST_KUBE_CA') } }],
    users: [{ name: 'sa', user: { token } }],
    contexts: [{ name: 'sa', context: { cluster: 'bed', user: 'sa' } }],
  }), { mode: 0o600 });
  return file;
}
