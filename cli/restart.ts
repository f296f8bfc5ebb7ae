// `berth restart NS/HOST [CONTAINER]`: a declarative restart, like `kubectl rollout restart`.
//  - Kubernetes mode: patches the ContainerHost's annotation `berth.dev/restartedAt` (or
//    `restart.berth.dev/<container>`) to now, with the user's own credentials, plus
//    `berth.dev/restartedBy` from the apiserver's SelfSubjectReview — a change any GitOps tool sees
//    as drift from git, honestly (commit the annotation to keep it).
//  - Directory mode: asks the controller (POST /api/v1/restart, UI token), which keeps the request
//    in its state directory; the manifests, the user's files, are not rewritten (api-decisions.md).
// The controller restarts each container once, in place (same container, spec hash unchanged).
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { RESTART_ANNOTATIONS } from '../controller/reconcile/restarts.js';
import { hostRef, kubeRequest, REMOTE_HELP, REMOTE_OPTIONS, resolveRemote, type KubeTarget, type Remote } from './remote.js';
import { UsageError } from './usage.js';

export const RESTART_HELP = `Usage: berth restart NAMESPACE/HOST [CONTAINER] [options]

Restarts every container of HOST (or just CONTAINER) once, in place: stop and start, same
container, spec unchanged — like kubectl rollout restart. Recorded as Events (who, what).

Kubernetes mode (--kube) sets the annotation berth.dev/restartedAt (restart.berth.dev/CONTAINER
for one container) on the ContainerHost with your own credentials (RBAC: patch containerhosts);
GitOps tools see it as a change. Directory mode asks the controller, which keeps the request in its
state directory (the manifests are yours and are not rewritten).

Options:
  --wait               wait until every container was restarted
  --timeout SECS       how long --wait waits (default 120)
${REMOTE_HELP}
  -h, --help           show this help

Exit status: 0 requested (with --wait: done), 1 refused or failed, 2 usage error.`;

interface Requested { at: string; containers: string[] }

function kubeError(r: { status: number; json: Record<string, unknown> }, what: string): Error {
  return new Error(`${what}: ${r.status} ${String(r.json.message ?? r.json.reason ?? 'failed')}`);
}

async function whoAmI(kube: KubeTarget): Promise<string | undefined> {
  try {
    const r = await kubeRequest(kube, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
    const name = (r.json.status as { userInfo?: { username?: string } } | undefined)?.userInfo?.username;
    return r.status < 300 && name ? name : undefined;
  } catch { return undefined; }
}

const hostPath = (namespace: string, name: string) => `/apis/berth.dev/v1alpha1/namespaces/${namespace}/containerhosts/${name}`;

async function requestKube(kube: KubeTarget, namespace: string, name: string, container: string | undefined): Promise<Requested> {
  const got = await kubeRequest(kube, 'GET', hostPath(namespace, name));
  if (got.status !== 200) throw kubeError(got, `cannot read ContainerHost ${namespace}/${name}`);
  const declared = ((got.json.spec as { containers?: Array<{ name: string }> } | undefined)?.containers ?? []).map((c) => c.name);
  if (container !== undefined && !declared.includes(container)) throw new Error(`container ${container} is not declared on ContainerHost ${namespace}/${name}`);
  const at = new Date().toISOString();
  const by = await whoAmI(kube);
  const key = container === undefined ? RESTART_ANNOTATIONS.all : `${RESTART_ANNOTATIONS.containerPrefix}${container}`;
  // Without a name from SelfSubjectReview the old restartedBy goes (null), so no Event names the wrong person.
  const patch = { metadata: { annotations: { [key]: at, [RESTART_ANNOTATIONS.by]: by ?? null } } };
  const r = await kubeRequest(kube, 'PATCH', `${hostPath(namespace, name)}?fieldManager=berth-restart`, patch, 'application/merge-patch+json');
  if (r.status !== 200) throw kubeError(r, `cannot annotate ContainerHost ${namespace}/${name}`);
  return { at, containers: container === undefined ? declared : [container] };
}

async function requestDirectory(remote: Extract<Remote, { mode: 'directory' }>, namespace: string, name: string, container: string | undefined): Promise<Requested> {
  let res: Response;
  try {
    res = await fetch(`${remote.server}/api/v1/restart`, {
      method: 'POST', headers: { Authorization: `Bearer ${remote.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ namespace, host: name, ...(container !== undefined ? { container } : {}), by: userInfo().username }),
    });
  } catch (err) { throw new Error(`cannot reach the controller at ${remote.server}: ${(err as Error).message}`); }
  const body = await res.json().catch(() => ({})) as { at?: string; containers?: string[]; message?: string };
  if (res.status !== 202 || !body.at) throw new Error(`${res.status} ${body.message ?? 'restart refused'}`);
  return { at: body.at, containers: body.containers ?? [] };
}

type StatusContainer = { name: string; restartedFor?: string; startedAt?: string };
/** Done: status records the request, or the container started at or after it. */
const restartedSince = (c: StatusContainer | undefined, atMs: number) =>
  [c?.restartedFor, c?.startedAt].some((t) => t !== undefined && Date.parse(t) >= atMs);

async function containersNow(remote: Remote, namespace: string, name: string): Promise<StatusContainer[]> {
  if (remote.mode === 'kubernetes') {
    const r = await kubeRequest(remote.kube, 'GET', hostPath(namespace, name));
    return ((r.json.status as { containers?: StatusContainer[] } | undefined)?.containers) ?? [];
  }
  const res = await fetch(`${remote.server}/api/v1/hosts/${namespace}/${name}`, { headers: { Authorization: `Bearer ${remote.token}` } });
  return ((await res.json() as { status?: { containers?: StatusContainer[] } }).status?.containers) ?? [];
}

export async function runRestart(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { ...REMOTE_OPTIONS, wait: { type: 'boolean' }, timeout: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { console.log(RESTART_HELP); return 0; }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError('name the host: berth restart NAMESPACE/HOST [CONTAINER]');
  const { namespace, name } = hostRef(positionals[0]);
  const container = positionals[1];
  const timeoutS = values.timeout === undefined ? 120 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError('--timeout must be a number of seconds');
  const remote = resolveRemote(values);
  let requested: Requested;
  try {
    requested = remote.mode === 'kubernetes' ? await requestKube(remote.kube, namespace, name, container) : await requestDirectory(remote, namespace, name, container);
  } catch (err) {
    console.error(`berth restart: ${(err as Error).message}`);
    return 1;
  }
  const what = container === undefined ? 'every container' : `container ${container}`;
  console.log(`containerhost ${namespace}/${name}: restart of ${what} requested for ${requested.at}${remote.mode === 'kubernetes' ? ` (annotation ${container === undefined ? RESTART_ANNOTATIONS.all : RESTART_ANNOTATIONS.containerPrefix + container})` : ''}`);
  if (!values.wait) return 0;
  const atMs = Date.parse(requested.at);
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const list = await containersNow(remote, namespace, name).catch(() => []);
    const left = requested.containers.filter((n) => !restartedSince(list.find((x) => x.name === n), atMs));
    if (left.length === 0) { console.log(`restarted: ${requested.containers.join(', ')}`); return 0; }
    if (Date.now() > deadline) { console.error(`berth restart: not restarted within ${timeoutS} s: ${left.join(', ')}`); return 1; }
    await new Promise((r) => setTimeout(r, 500));
  }
}
