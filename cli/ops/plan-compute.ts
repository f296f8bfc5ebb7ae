// What applying manifests would do to one host, computed by the controller's own planner
// (controller/reconcile/planner.ts) on the controller's own resolution (resolve.ts) against the live
// observed state the API serves (GET /api/v1/hosts/NS/NAME/observed). Pure: every input comes in.
//
// Secrets and ConfigMaps: the CLI never sees their values (the API serves neither). A container that
// reads one (env valueFrom, envFrom, a `files` volume) gets its spec hash from (1) the Secret or
// ConfigMap in the given files (the files are what would be applied), else (2) the controller's own
// hash of the live container when the declaration is unchanged in every hashed field (then the hash
// cannot differ), else it is reported as "may change: depends on Secret X".
import type { ObservedHostView, HostView } from '../../protocol/api-views.js';
import type { ContainerSpec } from '../../protocol/container.js';
import type { ConfigMapData, ContainerDecl, ContainerHost, SecretData } from '../../controller/api/types.js';
import { canonicalJson } from '../../controller/lib/canonical-json.js';
import { dependencyInputs } from '../../controller/reconcile/dependencies.js';
import { plan } from '../../controller/reconcile/planner.js';
import { resolveContainer, type SecretLookup } from '../../controller/reconcile/resolve.js';

/** Any key: resolving with it only tells whether a spec's hash has keyed (secret) inputs. */
const PROBE_KEY = Buffer.alloc(32);

export type ChangeKind = 'create' | 'recreate' | 'start' | 'stop' | 'restart' | 'remove' | 'orphan' | 'may-change';

export interface ContainerChange {
  kind: ChangeKind;
  container: string;
  /** Why, in words: the fields that changed, the state, the Secret it depends on. */
  detail: string;
  /** recreate: the declared fields that differ from the live spec. */
  fields?: string[];
}

export interface HostPlan {
  host: string;
  /** The host is not in the controller yet. */
  new: boolean;
  changes: ContainerChange[];
  /** What else the reader should know: paused, no agent, unresolved containers left as they are. */
  notes: string[];
}

export interface HostPlanInput {
  /** The host as the files declare it (defaults applied). */
  manifest: ContainerHost;
  /** The host as the controller has it now; undefined when it is new. */
  live: HostView | undefined;
  observed: ObservedHostView | undefined;
  /** Secrets declared in the given files, by "NS/NAME". */
  localSecrets: ReadonlyMap<string, SecretData>;
  /** ConfigMaps declared in the given files, by "NS/NAME" (absent: none). */
  localConfigMaps?: ReadonlyMap<string, ConfigMapData>;
}

/** Fields of a declaration that do not enter the spec hash (changing them never recreates). */
const UNHASHED = new Set(['state', 'imagePullPolicy']);

function identity(decl: ContainerDecl): string {
  return canonicalJson(Object.fromEntries(Object.entries(decl).filter(([k]) => !UNHASHED.has(k))));
}

/** The Secrets and ConfigMaps a declaration reads, as "Secret NAME" / "ConfigMap NAME". */
export function sourceRefs(decl: ContainerDecl): string[] {
  const refs = [
    ...(decl.env ?? []).flatMap((e) => (e.valueFrom ? [`Secret ${e.valueFrom.secretKeyRef.name}`] : [])),
    ...(decl.envFrom ?? []).map((f) => (f.secretRef ? `Secret ${f.secretRef.name}` : `ConfigMap ${f.configMapRef!.name}`)),
    ...(decl.volumes ?? []).flatMap((v) => (v.files ? [v.files.secret !== undefined ? `Secret ${v.files.secret}` : `ConfigMap ${v.files.configMap!}`] : [])),
  ];
  return [...new Set(refs)];
}

/** The declared fields that differ between two declarations of a container, env by variable name. */
export function changedFields(before: ContainerDecl, after: ContainerDecl): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of [...keys].sort()) {
    if (UNHASHED.has(k) || k === 'name') continue;
    const a = (before as unknown as Record<string, unknown>)[k];
    const b = (after as unknown as Record<string, unknown>)[k];
    if (canonicalJson(a) === canonicalJson(b)) continue;
    if (k === 'image') { out.push(`image ${String(a)} → ${String(b)}`); continue; }
    if (k === 'env') {
      const byName = (l: ContainerDecl['env']) => new Map((l ?? []).map((e) => [e.name, canonicalJson(e)]));
      const [x, y] = [byName(before.env), byName(after.env)];
      const names = [...new Set([...x.keys(), ...y.keys()])].sort();
      // Names only: env values may be sensitive even when not from a Secret.
      const parts = names.flatMap((n) => (!x.has(n) ? [`${n} added`] : !y.has(n) ? [`${n} removed`] : x.get(n) !== y.get(n) ? [`${n} changed`] : []));
      out.push(`env ${parts.length ? parts.join(', ') : 'reordered'}`);
      continue;
    }
    out.push(k);
  }
  return out;
}

export function planHost(input: HostPlanInput): HostPlan {
  const { manifest, live, observed } = input;
  const ns = manifest.metadata.namespace;
  const key = `${ns}/${manifest.metadata.name}`;
  const result: HostPlan = { host: key, new: !live, changes: [], notes: [] };
  const liveDecls = new Map((live?.spec.containers ?? []).map((c) => [c.name, c]));
  const controllerHash = new Map((observed?.desired ?? []).map((d) => [d.name, d.specHash]));
  const liveUnresolved = new Map((observed?.unresolved ?? []).map((u) => [u.name, u.message]));
  const observedNames = new Set((observed?.containers ?? []).map((c) => c.name));

  const desired = new Map<string, ContainerSpec>();
  const unresolved = new Set<string>();
  const local: SecretLookup = (namespace, name) => input.localSecrets.get(`${namespace}/${name}`);
  const localConfigMaps = input.localConfigMaps ?? new Map<string, ConfigMapData>();
  const localCm = (namespace: string, name: string) => localConfigMaps.get(`${namespace}/${name}`);
  const haveLocally = (ref: string) => {
    const [kind, name] = ref.split(' ') as ['Secret' | 'ConfigMap', string];
    return (kind === 'Secret' ? input.localSecrets : localConfigMaps).has(`${ns}/${name}`);
  };
  const blank = (name: string) => ({ namespace: ns, name, type: 'Opaque', data: new Proxy({}, { get: () => Buffer.alloc(0) }) as Record<string, Buffer> });
  for (const decl of manifest.spec.containers ?? []) {
    const missing = sourceRefs(decl).filter((r) => !haveLocally(r));
    const named = missing.map((m) => m.replace(' ', ` ${ns}/`)).join(', ');
    const before = liveDecls.get(decl.name);
    const same = before !== undefined && identity(before) === identity(decl);
    const hash = controllerHash.get(decl.name);
    if (missing.length === 0) {
      // A probe key tells whether the spec has secret inputs: then the controller's hash is keyed
      // (HMAC, docs/security.md) and cannot be recomputed here.
      const r = resolveContainer(decl, ns, local, localCm, PROBE_KEY);
      if (!r.ok) { unresolved.add(decl.name); result.notes.push(`${decl.name}: cannot be resolved from the given files (${r.message}): the controller would leave it as it is`); continue; }
      if (r.legacySpecHash && same && hash && observedNames.has(decl.name)) {
        // Unchanged declaration: only the Secret's value could differ, and its digest is keyed.
        unresolved.add(decl.name);
        const refs = sourceRefs(decl).map((m) => m.replace(' ', ` ${ns}/`)).join(', ');
        result.changes.push({ kind: 'may-change', container: decl.name, detail: `may be recreated if the value of ${refs} differs from the live one: only the controller can hash it (keyed spec hashes); the declaration is unchanged` });
        continue;
      }
      desired.set(decl.name, { ...r.spec, specHash: r.legacySpecHash ?? r.spec.specHash });
      continue;
    }
    if (same && hash) {
      // Unchanged in every hashed field: the controller's hash of the live spec is the hash. The
      // rest of the spec (state, restart policy) comes from resolving with blank secret values.
      const shape = resolveContainer(decl, ns, (_n, name) => blank(name), (_n, name) => blank(name));
      if (shape.ok) { desired.set(decl.name, { ...shape.spec, specHash: hash }); continue; }
    }
    unresolved.add(decl.name);
    const why = same && liveUnresolved.has(decl.name) ? ` (the controller cannot resolve it now: ${liveUnresolved.get(decl.name)})` : '';
    if (same && liveUnresolved.has(decl.name)) {
      result.notes.push(`${decl.name}: unresolved${why}; left as it is until ${named} exists`);
      continue;
    }
    const fields = before ? changedFields(before, decl) : [];
    result.changes.push({
      kind: 'may-change', container: decl.name,
      detail: `${observedNames.has(decl.name) ? 'may be recreated' : 'would be created if it resolves'}: depends on ${named} (not in the given files)${fields.length ? `; changed: ${fields.join('; ')}` : ''}`,
      ...(fields.length ? { fields } : {}),
    });
  }

  if (live?.metadata.deletionTimestamp) result.notes.push(`the host is being deleted (since ${live.metadata.deletionTimestamp}): the controller is cleaning it up, not applying specs`);
  if (manifest.spec.paused) result.notes.push('spec.paused is true: the controller changes nothing on this host');
  if (!live) result.notes.push('a new host: nothing runs until its agent connects with its AgentToken');
  else if (!observed?.canAct) result.notes.push(observed?.containers ? 'its agent is not connected now: these actions wait until it is' : 'no agent has reported yet: planned against no containers');

  // The planner as the controller runs it; in-flight and backing-off actions are not held back
  // (they would happen once settled), so the plan is what converging will take.
  // dependsOn only orders the actions (a dependent waits for its dependencies), so it is left out:
  // the plan is the whole set. A container dependsOn holds back for good (unknown name, cycle) is kept.
  const deps = dependencyInputs(manifest);
  for (const problem of deps.problems) result.notes.push(`${problem}: held back until dependsOn is fixed`);
  const planned = plan({
    ...(deps.plan.blocked?.size ? { blocked: deps.plan.blocked } : {}),
    desired, unresolved, observed: observed?.containers ?? [], inFlight: new Set(), backingOff: new Set(),
    paused: manifest.spec.paused, deleting: false, removalPolicy: manifest.spec.removalPolicy,
  });
  const byName = new Map((observed?.containers ?? []).map((o) => [o.name, o]));
  for (const a of planned.actions) {
    if (a.kind === 'remove') { result.changes.push({ kind: 'remove', container: a.name, detail: 'no longer declared (removalPolicy Delete)' }); continue; }
    // Not produced today (plan passes no restart requests: a `berth restart` is not a manifest change).
    if (a.kind === 'restart') { result.changes.push({ kind: 'restart', container: a.name, detail: a.why }); continue; }
    const o = byName.get(a.name);
    if (!o) { result.changes.push({ kind: 'create', container: a.name, detail: a.spec.image }); continue; }
    if (o.specHash !== a.spec.specHash) {
      const before = liveDecls.get(a.name);
      const decl = manifest.spec.containers!.find((c) => c.name === a.name)!;
      const fields = before ? changedFields(before, decl) : [];
      const detail = fields.length ? fields.join('; ')
        : before ? 'the running container was made from another spec (not converged yet, or a Secret changed)' : 'not declared in the live spec';
      result.changes.push({ kind: 'recreate', container: a.name, detail, ...(fields.length ? { fields } : {}) });
      continue;
    }
    result.changes.push({ kind: a.spec.state === 'Running' ? 'start' : 'stop', container: a.name, detail: `${o.state}, want ${a.spec.state}` });
  }
  if (!manifest.spec.paused && manifest.spec.removalPolicy === 'Orphan') {
    const declared = new Set((manifest.spec.containers ?? []).map((c) => c.name));
    for (const o of observed?.containers ?? []) {
      if (!declared.has(o.name)) result.changes.push({ kind: 'orphan', container: o.name, detail: 'no longer declared: left as it is (removalPolicy Orphan)' });
    }
  }
  return result;
}
