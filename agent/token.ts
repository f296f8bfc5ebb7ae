// The agent learns which ContainerHost it serves from its own token: the `sub` claim is
// "<namespace>/<name>". The payload is decoded WITHOUT verifying the signature — the agent holds no
// key and needs none: the controller verifies the token on every connect, and a forged `sub` only
// makes the agent filter its own inventory wrongly before the controller refuses it. Knowing the
// host before `welcome` lets the first `hello` carry the right inventory.

const SUB = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

/** `use`: 'join' on a one-time join token, 'credential' on the credential it was exchanged for (absent on ordinary tokens). */
export interface TokenClaims { sub: string; namespace: string; name: string; exp?: number; iat?: number; jti?: string; use?: string }

/** The claims the agent uses; throws a sentence naming what is wrong (never the token itself). */
export function readTokenClaims(token: string): TokenClaims {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1]) throw new Error('the agent token is not a JWT (expected three dot-separated parts)');
  let payload: unknown;
  try { payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')); } catch {
    throw new Error('the agent token is not a JWT (its payload is not base64url JSON)');
  }
  const p = (payload ?? {}) as { sub?: unknown; exp?: unknown; iat?: unknown; jti?: unknown; use?: unknown };
  if (typeof p.sub !== 'string') throw new Error('the agent token has no "sub" claim naming its ContainerHost ("<namespace>/<name>")');
  const m = SUB.exec(p.sub);
  if (!m) throw new Error(`the agent token's "sub" claim ${JSON.stringify(p.sub.slice(0, 300))} is not "<namespace>/<name>" of a ContainerHost`);
  const claims: TokenClaims = { sub: p.sub, namespace: m[1]!, name: m[3]! };
  if (typeof p.exp === 'number') claims.exp = p.exp;
  if (typeof p.jti === 'string') claims.jti = p.jti;
  if (typeof p.use === 'string') claims.use = p.use;
  if (typeof p.iat === 'number') claims.iat = p.iat;
  return claims;
}
