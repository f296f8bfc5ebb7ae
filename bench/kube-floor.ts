// bench/scale's Kubernetes floor: what the apiserver itself allows for the writes Berth needs per
// host, measured in the same run on the same apiserver. A plain client — the same
// @kubernetes/client-node, through the same thin KubeApi wrapper, no informers, no reconcile, no
// agents — does, for every host of a fleet declared like Berth's, exactly:
//   1. add the cleanup finalizer (a JSON patch of the ContainerHost),
//   2. create the token Secret,
//   3. write the AgentToken's status (one merge patch of /status),
//   4. write the ContainerHost's Ready status (one merge patch of /status),
// with bodies copied from a host Berth just brought to Ready (same sizes), and at Berth's
// concurrency: steps 1 + 4 in --workers parallel lanes (the host loop's workers), steps 2 + 3 in
// TOKEN_WORKERS lanes (the token loop's), both pools at once. The floor's time is the wall time of
// all of it; Berth's ratio is its time to all Ready over that. Berth also has to mint tokens, talk to
// agents and wait for them: the floor is a lower bound, not a target to reach.
import { FINALIZER } from '../controller/api/types.js';
import { KubeApi } from '../controller/kube/api.js';
import { loadKubeConfig } from '../controller/kube/config.js';
import { kubeconfig, kubectl } from '../test/support/kube.js';
import { declareKubeFleet, deleteKubeFleet } from './scale-kube.js';
import { log, pool } from './scale-proc.js';

/** The controller's token loop runs this many workers (controller/controller.ts TOKEN_WORKERS). */
export const TOKEN_WORKERS = 8;

/** What Berth wrote for one host, as the apiserver has it: the bodies the floor writes again. */
export interface FloorSample { hostStatus: Record<string, unknown>; tokenStatus: Record<string, unknown>; secret: { type: string; labels: Record<string, string>; data: Record<string, string> } }

interface Obj { metadata: { labels?: Record<string, string> }; status?: Record<string, unknown>; type?: string; data?: Record<string, string> }

/** Reads host NAME's status, its AgentToken's status and its token Secret from Berth's namespace. */
export async function sampleBerthWrites(ns: string, name: string): Promise<FloorSample | undefined> {
  const get = async (what: string, objName = name): Promise<Obj | undefined> => {
    const r = await kubectl(['-n', ns, 'get', what, objName, '-o', 'json'], { timeoutMs: 60_000 });
    return r.code === 0 ? JSON.parse(r.stdout) as Obj : undefined;
  };
  const [host, token] = [await get('containerhosts'), await get('agenttokens')];
  const secretName = token?.status?.secretName;   // <token>-agent-token unless spec.secretName says otherwise
  const secret = typeof secretName === 'string' ? await get('secrets', secretName) : undefined;
  if (!host?.status || !token?.status || !secret?.data) return undefined;
  return { hostStatus: host.status, tokenStatus: token.status, secret: { type: secret.type ?? 'Opaque', labels: secret.metadata.labels ?? {}, data: secret.data } };
}

export interface FloorResult { seconds: number; writes: number; writesPerS: number; hostLanes: number; tokenLanes: number }

export async function runFloor(opts: { hosts: number; hostLanes: number; yamlsFor: (ns: string) => string[]; hostName: (i: number) => string; sample: FloorSample }): Promise<FloorResult> {
  const t0decl = Date.now();
  const fleet = await declareKubeFleet(opts.yamlsFor);
  log(`floor ${opts.hosts}: declared in ${((Date.now() - t0decl) / 1000).toFixed(1)} s; writing`);
  const api = new KubeApi(loadKubeConfig(kubeconfig('admin')), { timeoutMs: 30_000 });
  const { ns } = fleet;
  const ref = (plural: string, name: string) => ({ group: 'berth.dev', version: 'v1alpha1', namespace: ns, plural, name });
  const names = Array.from({ length: opts.hosts }, (_, i) => opts.hostName(i));
  let writes = 0;
  try {
    const t0 = Date.now();
    await Promise.all([
      pool(names, opts.hostLanes, async (name) => {
        await api.jsonPatchCustomObject(`finalizer ${name}`, ref('containerhosts', name), [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER] }]);
        await api.mergePatchCustomObjectStatus(`host status ${name}`, ref('containerhosts', name), { status: opts.sample.hostStatus });
        writes += 2;
      }),
      pool(names, TOKEN_WORKERS, async (name) => {
        const { type, labels, data } = opts.sample.secret;
        await api.createSecret(`secret ${name}`, ns, { apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-agent-token`, namespace: ns, labels }, type, data });
        await api.mergePatchCustomObjectStatus(`token status ${name}`, ref('agenttokens', name), { status: opts.sample.tokenStatus });
        writes += 2;
      }),
    ]);
    const seconds = (Date.now() - t0) / 1000;
    log(`floor ${opts.hosts}: ${writes} writes in ${seconds.toFixed(1)} s (${(writes / seconds).toFixed(0)}/s)`);
    return { seconds, writes, writesPerS: writes / seconds, hostLanes: opts.hostLanes, tokenLanes: TOKEN_WORKERS };
  } finally {
    await deleteKubeFleet(fleet);
  }
}
