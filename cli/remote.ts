// How the operator verbs (`berth exec`, `berth restart`) reach Berth, and with which credential:
//  - directory mode (the default): the controller at --server (env BERTH_SERVER, default
//    http://127.0.0.1:7070) with the UI token from --token-file (env BERTH_TOKEN_FILE, default
//    .berth/state/ui-token — the controller's default state directory);
//  - Kubernetes mode (--kube, or --kubeconfig/--context): the bearer token of the kubeconfig's
//    current (or named) context, for the controller at --server and for the apiserver itself.
// The kubeconfig is read here with plain YAML and spoken to with node:https: the CLI never loads
// @kubernetes/client-node (only controller/kube/ may), and needs no cluster library at all.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from './usage.js';

export const REMOTE_OPTIONS = {
  server: { type: 'string' }, 'token-file': { type: 'string' },
  kube: { type: 'boolean' }, kubeconfig: { type: 'string' }, context: { type: 'string' },
} as const;

export const REMOTE_HELP = `Where and as whom:
  --server URL         the controller (env BERTH_SERVER; default http://127.0.0.1:7070)
  --token-file FILE    directory mode: the controller's UI token (env BERTH_TOKEN_FILE; default
                       .berth/state/ui-token, i.e. <controller --state>/ui-token)
  --kube               Kubernetes mode: act with the bearer token of your kubeconfig
  --kubeconfig FILE    the kubeconfig (implies --kube; default KUBECONFIG, then ~/.kube/config)
  --context NAME       the kubeconfig context (implies --kube; default its current-context)`;

export interface KubeTarget {
  server: string;
  token?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
  /** The kubeconfig user's name (local alias, not an identity). */
  userName: string;
}

export type Remote =
  | { mode: 'directory'; server: string; token: string }
  | { mode: 'kubernetes'; server: string; token: string | undefined; kube: KubeTarget };

type RemoteValues = { server?: string; 'token-file'?: string; kube?: boolean; kubeconfig?: string; context?: string };

function readFileOf(file: string, what: string): Buffer {
  try { return readFileSync(file); } catch (err) { throw new UsageError(`cannot read ${what} ${file}: ${(err as Error).message}`); }
}

/** The current (or named) context of a kubeconfig: server, CA, and the user's credential. */
export function loadKubeTarget(file: string | undefined, context: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeTarget {
  const path = resolve(file ?? env.KUBECONFIG?.split(':')[0] ?? join(homedir(), '.kube', 'config'));
  const doc = parse(readFileOf(path, 'the kubeconfig').toString('utf8')) as Record<string, unknown> | null;
  const list = (k: string) => (Array.isArray(doc?.[k]) ? doc[k] as Array<Record<string, unknown>> : []);
  const ctxName = context ?? (typeof doc?.['current-context'] === 'string' ? doc['current-context'] : undefined);
  if (!ctxName) throw new UsageError(`${path} names no current-context; pass --context`);
  const ctx = list('contexts').find((c) => c.name === ctxName)?.context as Record<string, string> | undefined;
  if (!ctx) throw new UsageError(`${path} has no context "${ctxName}"`);
  const cluster = list('clusters').find((c) => c.name === ctx.cluster)?.cluster as Record<string, unknown> | undefined;
  const user = (list('users').find((u) => u.name === ctx.user)?.user ?? {}) as Record<string, unknown>;
  if (!cluster || typeof cluster.server !== 'string') throw new UsageError(`${path}: context "${ctxName}" names no cluster with a server`);
  if (user.exec || user['auth-provider']) throw new UsageError(`${path}: user "${String(ctx.user)}" uses an exec or auth-provider plugin, which berth does not run; use a kubeconfig with a token`);
  const data = (k: string): Buffer | undefined => {
    const src = k.startsWith('certificate-authority') ? cluster : user;
    if (typeof src[`${k}-data`] === 'string') return Buffer.from(src[`${k}-data`] as string, 'base64');
    if (typeof src[k] === 'string') return readFileOf(resolve(path, '..', src[k] as string), k);
    return undefined;
  };
  const token = typeof user.token === 'string' ? user.token
    : typeof user.tokenFile === 'string' ? readFileOf(resolve(path, '..', user.tokenFile), 'the token file').toString('utf8').trim() : undefined;
  const ca = data('certificate-authority');
  const cert = data('client-certificate');
  const key = data('client-key');
  return {
    server: cluster.server.replace(/\/+$/, ''), insecure: cluster['insecure-skip-tls-verify'] === true, userName: String(ctx.user ?? ''),
    ...(token ? { token } : {}), ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}),
  };
}

export function resolveRemote(values: RemoteValues, env: NodeJS.ProcessEnv = process.env): Remote {
  const server = (values.server ?? env.BERTH_SERVER ?? 'http://127.0.0.1:7070').replace(/\/+$/, '');
  try { const u = new URL(server); if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)'); } catch {
    throw new UsageError(`--server must be an http:// or https:// URL, not "${server}"`);
  }
  if (values.kube || values.kubeconfig !== undefined || values.context !== undefined) {
    if (values['token-file']) throw new UsageError('--token-file is the directory-mode UI token; with --kube the kubeconfig\'s token is used');
    const kube = loadKubeTarget(values.kubeconfig, values.context, env);
    return { mode: 'kubernetes', server, token: kube.token, kube };
  }
  const file = values['token-file'] ?? env.BERTH_TOKEN_FILE ?? join('.berth', 'state', 'ui-token');
  let token: string;
  try { token = readFileSync(file, 'utf8').trim(); } catch (err) {
    throw new UsageError(`cannot read the UI token ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message} — pass --token-file <controller state>/ui-token (or --kube for a Kubernetes-mode controller)`);
  }
  if (!token) throw new UsageError(`the UI token file ${file} is empty`);
  return { mode: 'directory', server, token };
}

/** Split "NS/NAME" (the namespace is required: hosts of the same name live in several). */
export function hostRef(text: string | undefined): { namespace: string; name: string } {
  const m = text ? /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text) : null;
  if (!m) throw new UsageError(`name the host as NAMESPACE/NAME, not "${text ?? ''}"`);
  return { namespace: m[1]!, name: m[3]! };
}

/** One JSON request to the apiserver of a kubeconfig (node:https with its CA and credential). */
export function kubeRequest(kube: KubeTarget, method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = new URL(path, `${kube.server}/`);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolveReq, reject) => {
    const req = request(url, {
      method, timeout: 15_000, rejectUnauthorized: !kube.insecure,
      ...(kube.ca ? { ca: kube.ca } : {}), ...(kube.cert ? { cert: kube.cert } : {}), ...(kube.key ? { key: kube.key } : {}),
      headers: {
        Accept: 'application/json', ...(kube.token ? { Authorization: `Bearer ${kube.token}` } : {}),
        ...(text !== undefined ? { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) } : {}),
      },
    }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { data += c; });
      res.on('end', () => {
        let json: Record<string, unknown> = {};
        try { json = JSON.parse(data) as Record<string, unknown>; } catch { json = { message: data.slice(0, 500) }; }
        resolveReq({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.pathname} timed out`)));
    req.on('error', (err) => reject(new Error(`cannot reach the Kubernetes API at ${kube.server}: ${err.message}`)));
    req.end(text);
  });
}
