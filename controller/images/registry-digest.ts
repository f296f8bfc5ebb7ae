// Resolving an image tag to the digest it points to now, with the registry's v2 API: one HEAD of
// the tag's manifest (the Docker-Content-Digest header), answering the registry's 401 challenge with
// the pull credentials (Basic, or a Bearer token from the realm it names, as Docker Hub and GHCR do).
// The digest is the one `docker pull repo@digest` wants: for a multi-platform tag, its index's.
import { createHash } from 'node:crypto';
import type { PullAuth } from '../../protocol/container.js';
import { parseImageRef, registryBaseUrl } from './reference.js';

export interface ResolveOptions {
  auth?: PullAuth;
  /** Registries ("host:port") that speak plain HTTP although not on loopback. */
  insecureRegistries?: readonly string[];
  signal?: AbortSignal;
  /** For tests; the global fetch otherwise. */
  fetch?: typeof fetch;
}

/** The media types Docker accepts for a tag, newest first: asking for all keeps a registry from converting. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

/** A resolution that failed; `message` names the image and what the registry said. */
export class DigestError extends Error {
  constructor(message: string, readonly status?: number) { super(message); this.name = 'DigestError'; }
}

function credentials(auth?: PullAuth): { username: string; password: string } | undefined {
  if (!auth) return undefined;
  if (auth.username !== undefined && auth.password !== undefined) return { username: auth.username, password: auth.password };
  if (auth.auth) {
    const decoded = Buffer.from(auth.auth, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  return undefined;
}

/** `Bearer realm="…",service="…",scope="…"` → its scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  const params: Record<string, string> = {};
  for (const p of (m?.[2] ?? '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = p[2] ?? p[3] ?? '';
  return { scheme: (m?.[1] ?? '').toLowerCase(), params };
}

const basic = (c: { username: string; password: string }): string => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

/** The `Authorization` header answering CHALLENGE (the registry's WWW-Authenticate), or undefined if none can. */
async function answer(challenge: string, repository: string, opts: ResolveOptions, f: typeof fetch): Promise<string | undefined> {
  const { scheme, params } = parseChallenge(challenge);
  const creds = credentials(opts.auth);
  if (scheme === 'basic') return creds ? basic(creds) : undefined;
  if (scheme !== 'bearer' || !params.realm) return undefined;
  const url = new URL(params.realm);
  if (params.service) url.searchParams.set('service', params.service);
  url.searchParams.set('scope', params.scope ?? `repository:${repository}:pull`);
  const headers: Record<string, string> = creds ? { authorization: basic(creds) } : {};
  const res = await f(url, { headers, ...(opts.signal ? { signal: opts.signal } : {}) });
  if (!res.ok) throw new DigestError(`token endpoint ${url.origin}${url.pathname} answered ${res.status}`, res.status);
  const body = await res.json() as { token?: string; access_token?: string };
  const token = body.token ?? body.access_token;
  return token ? `Bearer ${token}` : undefined;
}

/** The digest ("sha256:…") IMAGE's tag points to now. Throws a DigestError saying why not. */
export async function resolveDigest(image: string, opts: ResolveOptions = {}): Promise<string> {
  const ref = parseImageRef(image);
  const f = opts.fetch ?? fetch;
  const url = `${registryBaseUrl(ref.registry, opts.insecureRegistries)}/v2/${ref.repository}/manifests/${ref.tag}`;
  const what = `${ref.registry}/${ref.repository}:${ref.tag}`;
  const request = (authorization?: string, method = 'HEAD'): Promise<Response> => f(url, {
    method, headers: { accept: MANIFEST_ACCEPT, ...(authorization ? { authorization } : {}) },
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let res: Response;
  let authorization: string | undefined;
  try {
    res = await request();
    if (res.status === 401) {
      authorization = await answer(res.headers.get('www-authenticate') ?? '', ref.repository, opts, f);
      if (authorization === undefined) throw new DigestError(`${what}: the registry wants credentials and the imagePullSecrets have none for ${ref.registry}`, 401);
      res = await request(authorization);
    }
  } catch (err) {
    if (err instanceof DigestError) throw err;
    throw new DigestError(`${what}: cannot reach ${url.replace(/\/v2\/.*$/, '')}: ${(err as Error).message}`);
  }
  if (res.status === 401 || res.status === 403) throw new DigestError(`${what}: the registry refused the credentials (${res.status})`, res.status);
  if (res.status === 404) throw new DigestError(`${what}: no such tag in the registry (404)`, 404);
  if (!res.ok) throw new DigestError(`${what}: the registry answered ${res.status}`, res.status);
  const header = res.headers.get('docker-content-digest');
  if (header && /^sha256:[0-9a-f]{64}$/.test(header)) return header;
  // Some registries send the digest on GET only; the manifest's own bytes hash to it.
  const got = await request(authorization, 'GET');
  if (!got.ok) throw new DigestError(`${what}: the registry answered ${got.status} to GET`, got.status);
  return `sha256:${createHash('sha256').update(Buffer.from(await got.arrayBuffer())).digest('hex')}`;
}

/** The DigestPoller's resolver backed by the registries themselves. */
export function registryResolver(insecureRegistries: readonly string[] = []): (image: string, auth: PullAuth | undefined, signal: AbortSignal) => Promise<string> {
  return (image, auth, signal) => resolveDigest(image, { ...(auth ? { auth } : {}), insecureRegistries, signal });
}
