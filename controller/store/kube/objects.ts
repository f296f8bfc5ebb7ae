// Mapping between what the apiserver returns (plain JSON; already validated and defaulted by the CRD
// schemas) and the store's types, plus the bodies the Kubernetes store writes. Pure; unit-tested.
import { API_VERSION, type AgentToken, type ConfigMapData, type ContainerHost, type ContainerSet, type ObjectMeta, type SecretData } from '../../api/types.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { defined } from '../../lib/objects.js';
import type { SigningKeyMaterial } from '../store.js';

export const GROUP = 'berth.dev';
export const VERSION = 'v1alpha1';
export const PLURAL = { ContainerHost: 'containerhosts', AgentToken: 'agenttokens', ContainerSet: 'containersets' } as const;

/** Labels and names the store puts on what it creates. */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  agentToken: 'berth.dev/agent-token',
  signingKey: 'berth.dev/signing-key',
} as const;
export const MANAGED_BY = 'berth';
export const SIGNING_KEY_SECRET = 'berth-signing-key';
export const SIGNING_KEY_DATA_KEY = 'signing-key.json';
export const AGENT_TOKEN_SECRET_TYPE = 'berth.dev/agent-token';
export const EVENT_COMPONENT = 'berth-controller';

/**
 * The Secrets informer leaves out what the controller never reads: the Secrets it writes itself
 * (agent tokens — so a token never sits in the cache — and the signing key) and Helm release
 * records (large, many, never referenced by a ContainerHost).
 */
export const SECRET_LABEL_SELECTOR = `!${LABELS.agentToken},!${LABELS.signingKey}`;
export const SECRET_FIELD_SELECTOR = 'type!=helm.sh/release.v1';

/** The parts of an object as the apiserver sends them that the store reads. */
export interface RawObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: OwnerReference[];
    [key: string]: unknown;
  };
  spec?: unknown;
  status?: unknown;
  type?: string;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export interface OwnerReference { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }

export function rawKey(o: RawObject): string { return `${o.metadata.namespace ?? ''}/${o.metadata.name}`; }

function toMeta(raw: RawObject): ObjectMeta {
  const m = raw.metadata;
  return defined({
    name: m.name,
    namespace: m.namespace ?? '',
    uid: m.uid ?? '',
    generation: m.generation ?? 1,
    resourceVersion: m.resourceVersion,
    creationTimestamp: m.creationTimestamp,
    deletionTimestamp: m.deletionTimestamp,
    labels: m.labels ? { ...m.labels } : undefined,
    annotations: m.annotations ? { ...m.annotations } : undefined,
    finalizers: m.finalizers?.length ? [...m.finalizers] : undefined,
  }) as ObjectMeta;
}

export function toContainerHost(raw: RawObject): ContainerHost {
  return defined({
    apiVersion: API_VERSION, kind: 'ContainerHost', metadata: toMeta(raw),
    spec: structuredClone(raw.spec ?? {}),
    status: raw.status === undefined || raw.status === null ? undefined : structuredClone(raw.status),
  }) as unknown as ContainerHost;
}

export function toAgentToken(raw: RawObject): AgentToken {
  return defined({
    apiVersion: API_VERSION, kind: 'AgentToken', metadata: toMeta(raw),
    spec: structuredClone(raw.spec ?? {}),
    status: raw.status === undefined || raw.status === null ? undefined : structuredClone(raw.status),
  }) as unknown as AgentToken;
}

export function toContainerSet(raw: RawObject): ContainerSet {
  return defined({
    apiVersion: API_VERSION, kind: 'ContainerSet', metadata: toMeta(raw),
    spec: structuredClone(raw.spec ?? {}),
    status: raw.status === undefined || raw.status === null ? undefined : structuredClone(raw.status),
  }) as unknown as ContainerSet;
}

export function toSecretData(raw: RawObject): SecretData {
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(raw.data ?? {})) data[k] = Buffer.from(v, 'base64');
  return { namespace: raw.metadata.namespace ?? '', name: raw.metadata.name, type: raw.type ?? 'Opaque', data };
}

/** A v1 ConfigMap's data and binaryData, decoded into one map. */
export function toConfigMapData(raw: RawObject): ConfigMapData {
  const data: Record<string, Buffer> = {};
  const body = raw as RawObject & { binaryData?: Record<string, string> };
  for (const [k, v] of Object.entries(body.binaryData ?? {})) data[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(raw.data ?? {})) data[k] = Buffer.from(v, 'utf8');
  return { namespace: raw.metadata.namespace ?? '', name: raw.metadata.name, data };
}

/** Whether two versions of a ConfigMap differ in their content. */
export function configMapChanged(a: RawObject, b: RawObject): boolean {
  const bin = (r: RawObject) => (r as RawObject & { binaryData?: unknown }).binaryData ?? {};
  return canonicalJson(a.data ?? {}) !== canonicalJson(b.data ?? {}) || canonicalJson(bin(a)) !== canonicalJson(bin(b));
}

/**
 * What a reconcile depends on, besides status: when this is unchanged between two versions of a
 * ContainerHost or AgentToken, the change was status only (usually our own write) and no event is
 * needed. Spec changes also bump generation; the spec is compared anyway (cheap, and exact).
 */
export function reconcileInputs(raw: RawObject): string {
  const m = raw.metadata;
  return canonicalJson({
    uid: m.uid, generation: m.generation, deletionTimestamp: m.deletionTimestamp,
    finalizers: m.finalizers ?? [], labels: m.labels ?? {}, annotations: m.annotations ?? {}, spec: raw.spec ?? {},
  });
}

/** Whether two versions of a Secret differ in what the controller reads. */
export function secretChanged(a: RawObject, b: RawObject): boolean {
  return (a.type ?? 'Opaque') !== (b.type ?? 'Opaque') || canonicalJson(a.data ?? {}) !== canonicalJson(b.data ?? {});
}

export function ownerReferenceTo(token: AgentToken): OwnerReference {
  return { apiVersion: API_VERSION, kind: 'AgentToken', name: token.metadata.name, uid: token.metadata.uid, controller: true, blockOwnerDeletion: false };
}

/**
 * The Secret an AgentToken's JWT is written to (keys `token` and `url`, as the directory store's JSON
 * file, and `ca.crt` when the controller knows the CA of its certificate: mounted, the agent finds it
 * beside the token file).
 */
export function agentTokenSecret(token: AgentToken, secretName: string, jwt: string, agentUrl: string, existing?: RawObject, ca?: string): RawObject {
  const labels = { ...(existing?.metadata.labels ?? {}), [LABELS.managedBy]: MANAGED_BY, [LABELS.agentToken]: token.metadata.name };
  const others = (existing?.metadata.ownerReferences ?? []).filter((r) => !(r.kind === 'AgentToken' && r.apiVersion.startsWith(`${GROUP}/`)));
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: defined({
      name: secretName, namespace: token.metadata.namespace, labels,
      annotations: existing?.metadata.annotations,
      ownerReferences: [...others, ownerReferenceTo(token)],
      resourceVersion: existing?.metadata.resourceVersion,
    }) as RawObject['metadata'],
    type: existing?.type ?? AGENT_TOKEN_SECRET_TYPE,
    data: {
      token: Buffer.from(jwt).toString('base64'), url: Buffer.from(agentUrl).toString('base64'),
      ...(ca ? { 'ca.crt': Buffer.from(ca).toString('base64') } : {}),
    },
  };
}

/**
 * Whether an existing Secret may be overwritten with `token`'s JWT: only one Berth wrote for an
 * AgentToken of the same name (or one owned by this very AgentToken). Anything else is somebody
 * else's Secret — writing over it would be a takeover.
 */
export function isOurTokenSecret(existing: RawObject, token: AgentToken): boolean {
  const labels = existing.metadata.labels ?? {};
  if (labels[LABELS.agentToken] === token.metadata.name && labels[LABELS.managedBy] === MANAGED_BY) return true;
  return (existing.metadata.ownerReferences ?? []).some((r) => r.uid === token.metadata.uid);
}

export function signingKeySecret(namespace: string, material: SigningKeyMaterial): RawObject {
  return {
    apiVersion: 'v1', kind: 'Secret',
    metadata: { name: SIGNING_KEY_SECRET, namespace, labels: { [LABELS.managedBy]: MANAGED_BY, [LABELS.signingKey]: 'true' } },
    type: 'Opaque',
    data: { [SIGNING_KEY_DATA_KEY]: Buffer.from(JSON.stringify(material)).toString('base64') },
  };
}

/** Reads the signing key from its Secret; a damaged one is an error, never silently replaced. */
export function parseSigningKeySecret(secret: RawObject, where: string): SigningKeyMaterial {
  const encoded = secret.data?.[SIGNING_KEY_DATA_KEY];
  try {
    if (!encoded) throw new Error(`no "${SIGNING_KEY_DATA_KEY}" key`);
    const material = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')) as SigningKeyMaterial;
    if (typeof material.kid !== 'string' || typeof material.privateJwk !== 'object' || material.privateJwk === null
      || typeof material.publicJwk !== 'object' || material.publicJwk === null) throw new Error('missing kid, privateJwk or publicJwk');
    return material;
  } catch (err) {
    // Never replace a key silently: every token signed with it would stop working.
    throw new Error(`signing key Secret ${where} is damaged (${(err as Error).message}); refusing to replace it — delete it to mint a new key (existing agent tokens then stop working)`);
  }
}

/** Messages longer than this are cut (the apiserver limits Event messages to 1 KiB in practice). */
export const EVENT_MESSAGE_MAX = 1024;

export function truncateMessage(message: string): string {
  return message.length <= EVENT_MESSAGE_MAX ? message : `${message.slice(0, EVENT_MESSAGE_MAX - 1)}…`;
}

export interface InvolvedObject { kind: 'ContainerHost' | 'AgentToken' | 'ContainerSet'; namespace: string; name: string; uid?: string; resourceVersion?: string }

/** A core/v1 Event, as `kubectl get events` and `kubectl describe` show it. */
export function eventBody(o: InvolvedObject, e: { type: string; reason: string; message: string }, name: string, nowIso: string, instance: string): RawObject {
  return {
    apiVersion: 'v1', kind: 'Event',
    metadata: { name, namespace: o.namespace },
    involvedObject: defined({ apiVersion: API_VERSION, kind: o.kind, namespace: o.namespace, name: o.name, uid: o.uid, resourceVersion: o.resourceVersion }),
    type: e.type, reason: e.reason, message: truncateMessage(e.message),
    source: { component: EVENT_COMPONENT },
    reportingComponent: EVENT_COMPONENT,
    reportingInstance: instance,
    firstTimestamp: nowIso, lastTimestamp: nowIso, count: 1,
  };
}
