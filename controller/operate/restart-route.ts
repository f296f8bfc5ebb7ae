// `POST /api/v1/restart` — directory mode's `berth restart`: {namespace, host, container?, by?}.
// Authorized by the UI token (operator-access.ts; in Kubernetes mode refused with a pointer to the
// annotation, which `berth restart --kube` patches with the user's own credentials). The controller
// stamps the request with its own clock, keeps it in the state directory (restart-requests.ts),
// records an Event (who, what) and looks at the host again; the reconciler restarts each container
// once. Answers 202 {at, containers}. Not part of the read-only API the page uses (api.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ContainerHost, ResourceKey } from '../api/types.js';
import type { EventRecord } from '../store/store.js';
import type { OperatorAccess } from './operator-access.js';
import type { RestartRequestFile } from './restart-requests.js';

export const RESTART_PATH = '/api/v1/restart';

export interface RestartRouteOptions {
  access: OperatorAccess;
  /** Absent in Kubernetes mode. */
  requests?: RestartRequestFile;
  host: (key: ResourceKey) => ContainerHost | undefined;
  recordEvent: (key: ResourceKey, event: EventRecord) => void;
  enqueue: (key: ResourceKey) => void;
  now?: () => Date;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function reply(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function handleRestart(req: IncomingMessage, res: ServerResponse, opts: RestartRouteOptions): Promise<void> {
  const fail = (status: number, error: string, message: string) => reply(res, status, { error, message });
  if (req.method !== 'POST') { res.setHeader('Allow', 'POST'); return fail(405, 'MethodNotAllowed', `${RESTART_PATH} takes POST`); }
  if (req.headers.origin !== undefined) return fail(403, 'Forbidden', 'restart is for the berth CLI: browsers (any request with an Origin) cannot use it');
  const text = await readBody(req, 4096);
  if (text === undefined) return fail(413, 'PayloadTooLarge', 'the request body is larger than 4 KiB');
  let body: Record<string, unknown>;
  try { body = JSON.parse(text) as Record<string, unknown>; } catch { return fail(400, 'BadRequest', 'the body must be JSON: {"namespace", "host", "container"?}'); }
  const { namespace, host, container, by } = body ?? {};
  for (const [field, v, optional] of [['namespace', namespace, false], ['host', host, false], ['container', container, true]] as const) {
    if (v === undefined && optional) continue;
    if (typeof v !== 'string' || v.length > 253 || !NAME.test(v)) return fail(400, 'BadRequest', `"${field}" must be a DNS name`);
  }
  if (by !== undefined && (typeof by !== 'string' || by.length > 128)) return fail(400, 'BadRequest', '"by" must be a name of at most 128 characters');
  const decision = await opts.access.check(req, 'restart', { namespace: namespace as string, name: host as string });
  if (!decision.allowed) return fail(decision.status, decision.status === 401 ? 'Unauthorized' : 'Forbidden', decision.message);
  if (!opts.requests) return fail(403, 'Forbidden', 'this controller keeps no restart requests (Kubernetes mode: annotate the ContainerHost)');
  const key = `${namespace as string}/${host as string}`;
  const h = opts.host(key);
  if (!h || h.metadata.deletionTimestamp) return fail(404, 'NotFound', `ContainerHost ${key} not found`);
  const declared = (h.spec.containers ?? []).map((c) => c.name);
  if (container !== undefined && !declared.includes(container as string)) return fail(404, 'NotFound', `container ${container as string} is not declared on ContainerHost ${key}`);
  const at = (opts.now?.() ?? new Date()).toISOString();
  const who = `${typeof by === 'string' && by ? `${by} (as the client says) with the ` : 'the holder of the '}${decision.user}`;
  await opts.requests.add(key, { at, by: who, ...(container !== undefined ? { container: container as string } : {}) });
  opts.recordEvent(key, { type: 'Normal', reason: 'RestartRequested', message: `${who} requested a restart of ${container !== undefined ? `container ${container as string}` : 'every container'} (at ${at})` });
  opts.enqueue(key);
  reply(res, 202, { at, containers: container !== undefined ? [container] : declared });
}
