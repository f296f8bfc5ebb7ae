// Image references as Docker reads them, for resolving a tag to its digest and pinning it. Pure.
// "nginx:1.27" is docker.io/library/nginx:1.27; a first path part with a dot, a colon or "localhost"
// is a registry; no tag means "latest". A reference already pinned (…@sha256:…) is never polled.

export interface ImageRef {
  /** As the user wrote it in `auths` keys: "docker.io", "127.0.0.1:5000", "ghcr.io". */
  registry: string;
  /** The repository path inside the registry ("library/nginx" on Docker Hub). */
  repository: string;
  tag: string;
  /** Present when the reference is pinned already. */
  digest?: string;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Parse IMAGE, or throw an Error naming what is wrong with it. */
export function parseImageRef(image: string): ImageRef {
  if (image.trim() !== image || image === '') throw new Error(`image "${image}": empty or surrounded by spaces`);
  let rest = image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw new Error(`image "${image}": the digest after @ is not sha256:<64 hex>`);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  const hasRegistry = slash !== -1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  let path = hasRegistry ? rest.slice(slash + 1) : rest;
  let tag = 'latest';
  const lastSlash = path.lastIndexOf('/');
  const colon = path.lastIndexOf(':');
  if (colon > lastSlash) { tag = path.slice(colon + 1); path = path.slice(0, colon); }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(path)) {
    throw new Error(`image "${image}": "${path}" is not a valid repository name (lowercase letters, digits, . _ - and /)`);
  }
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new Error(`image "${image}": "${tag}" is not a valid tag`);
  if (registry === 'docker.io' && !path.includes('/')) path = `library/${path}`;
  return { registry, repository: path, tag, ...(digest ? { digest } : {}) };
}

/** True when IMAGE names a digest already: there is nothing to poll. */
export function isPinned(image: string): boolean {
  return image.includes('@');
}

/**
 * IMAGE pinned to DIGEST, keeping the tag for people reading `docker ps` ("repo:tag@sha256:…", which
 * Docker pulls by the digest alone). A reference pinned already gets its digest replaced.
 */
export function pinImage(image: string, digest: string): string {
  if (!DIGEST.test(digest)) throw new Error(`digest "${digest}" is not sha256:<64 hex>`);
  const at = image.indexOf('@');
  return `${at === -1 ? image : image.slice(0, at)}@${digest}`;
}

/** The registry's API base URL: Docker Hub's API host for docker.io; plain HTTP only for loopback or listed hosts. */
export function registryBaseUrl(registry: string, insecure: readonly string[] = []): string {
  if (registry === 'docker.io') return 'https://registry-1.docker.io';
  const host = registry.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  // dockerd's own default: registries on 127.0.0.0/8 may be plain HTTP; others need TLS unless listed.
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return `${loopback || insecure.includes(registry) ? 'http' : 'https'}://${registry}`;
}
