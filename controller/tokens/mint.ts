// Minting the agent JWT for an AgentToken (DESIGN §1): EdDSA/Ed25519, header kid, iss `berth`,
// aud `berth-agent`, sub `<namespace>/<hostRef.name>`, jti = the AgentToken's metadata.uid, iat,
// and exp from spec.ttl when set. Pure apart from the signature.
import { SignJWT } from 'jose';
import { parseDurationMs } from '../api/duration.js';
import type { AgentToken } from '../api/types.js';
import { TOKEN_ALG, type SigningKey } from './signing-key.js';

export const TOKEN_ISSUER = 'berth';
export const TOKEN_AUDIENCE = 'berth-agent';
/**
 * The private `use` claim: absent on ordinary tokens; `join` on a bootstrap AgentToken's one-time
 * join token; `credential` on the long-lived credential an agent gets for it (with `cid`, its ID).
 */
export const USE_CLAIM = 'use';
export const CREDENTIAL_ID_CLAIM = 'cid';
export type TokenUse = 'join' | 'credential';
/** A join token's lifetime when its bootstrap AgentToken sets no ttl: enough to install a machine, short enough to be useless in an old log. */
export const DEFAULT_JOIN_TTL = '1h';

export interface MintedToken {
  /** The JWT itself: goes to the Secret / token file only, never to status, logs or events. */
  jwt: string;
  /** = the jti = the AgentToken's uid (safe for status.tokenID). */
  tokenID: string;
  /** RFC 3339, whole seconds: exactly the `iat` claim, so a rotation check can compare them. */
  issuedAt: string;
  /** RFC 3339, whole seconds; absent when the AgentToken has no ttl. */
  expiresAt?: string;
}

/** The `sub` of tokens for this AgentToken's host. */
export const subjectOf = (token: AgentToken): string => `${token.metadata.namespace}/${token.spec.hostRef.name}`;

export async function mintAgentToken(token: AgentToken, key: Pick<SigningKey, 'kid' | 'privateKey'>, opts: { now?: Date | number } = {}): Promise<MintedToken> {
  if (!token.metadata.uid) throw new Error(`AgentToken ${token.metadata.namespace}/${token.metadata.name} has no uid`);
  const nowMs = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const iat = Math.floor(nowMs / 1000);
  let exp: number | undefined;
  const ttl = token.spec.ttl ?? (token.spec.bootstrap ? DEFAULT_JOIN_TTL : undefined);
  if (ttl !== undefined) {
    const ttlMs = parseDurationMs(ttl);
    if (ttlMs === undefined || !(ttlMs > 0)) throw new Error(`AgentToken ${token.metadata.namespace}/${token.metadata.name}: invalid ttl ${JSON.stringify(ttl)}`);
    exp = iat + Math.max(1, Math.floor(ttlMs / 1000));
  }
  const builder = new SignJWT(token.spec.bootstrap ? { [USE_CLAIM]: 'join' } : {})
    .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(subjectOf(token))
    .setJti(token.metadata.uid)
    .setIssuedAt(iat);
  if (exp !== undefined) builder.setExpirationTime(exp);
  const jwt = await builder.sign(key.privateKey);
  return {
    jwt,
    tokenID: token.metadata.uid,
    issuedAt: new Date(iat * 1000).toISOString(),
    ...(exp !== undefined ? { expiresAt: new Date(exp * 1000).toISOString() } : {}),
  };
}

/**
 * The long-lived credential an enrolling agent receives for a bootstrap AgentToken: the same
 * issuer, audience, host (`sub`) and jti, `use: credential`, its own ID in `cid` (recorded in
 * status.enrollment: only that one credential is accepted), and no expiry — it lives until the
 * AgentToken is deleted, rotated or its spec changes.
 */
export async function mintCredential(token: AgentToken, key: Pick<SigningKey, 'kid' | 'privateKey'>, credentialID: string, opts: { now?: Date | number } = {}): Promise<MintedToken> {
  if (!token.metadata.uid) throw new Error(`AgentToken ${token.metadata.namespace}/${token.metadata.name} has no uid`);
  const nowMs = opts.now === undefined ? Date.now() : typeof opts.now === 'number' ? opts.now : opts.now.getTime();
  const iat = Math.floor(nowMs / 1000);
  const jwt = await new SignJWT({ [USE_CLAIM]: 'credential', [CREDENTIAL_ID_CLAIM]: credentialID })
    .setProtectedHeader({ alg: TOKEN_ALG, kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(subjectOf(token))
    .setJti(token.metadata.uid)
    .setIssuedAt(iat)
    .sign(key.privateKey);
  return { jwt, tokenID: token.metadata.uid, issuedAt: new Date(iat * 1000).toISOString() };
}
