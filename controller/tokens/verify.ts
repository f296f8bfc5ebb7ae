// Verifying an agent's bearer JWT (DESIGN §3 Connect, §7). The hub calls this through an injected
// `authenticate` function before any WebSocket upgrade; a failure becomes HTTP 401 with `reason`.
//
// Checks, in order: size and shape; alg must be EdDSA (jose's `algorithms` allow-list refuses
// `none`, HS256 and everything else before any key is chosen); the header kid must name one of our
// verification keys (an unknown kid is refused, never "try every key"); the Ed25519 signature; iss;
// aud; exp and nbf with the clock tolerance; iat not in the future beyond the tolerance; the jti
// must name a live (existing, not being deleted) AgentToken whose namespace/hostRef.name is the
// `sub`; and the token must not predate the AgentToken's last (re)issue (status.issuedAt), which is
// how rotation retires the previous token.
//
// Constant-time comparison: nothing secret is compared here by equality. The only secret-bearing
// check is the signature, which WebCrypto verifies (Ed25519 verification is not a byte comparison
// against a stored secret); kid, iss, aud, sub and jti are public identifiers. Were an opaque
// shared-secret token ever added, compare it with crypto.timingSafeEqual on equal-length digests.
//
// Reasons are short fixed strings: they never echo the token, its claims or key material.
import { decodeJwt, errors, jwtVerify, type JWTPayload } from 'jose';
import type { AgentToken } from '../api/types.js';
import { CREDENTIAL_ID_CLAIM, TOKEN_AUDIENCE, TOKEN_ISSUER, USE_CLAIM, subjectOf, type TokenUse } from './mint.js';
import { TOKEN_ALG, type VerificationKey } from './signing-key.js';

/** Longest bearer token considered at all (ours are ~300 bytes). */
export const MAX_TOKEN_CHARS = 8192;

export type VerifyFailureCode =
  | 'malformed' | 'algorithm' | 'unknown_key' | 'signature' | 'issuer' | 'audience'
  | 'expired' | 'not_yet_valid' | 'claims' | 'revoked' | 'wrong_host' | 'rotated'
  | 'join_expired' | 'join_used' | 'wrong_use';

export const VERIFY_REASONS: Record<VerifyFailureCode, string> = {
  malformed: 'malformed token',
  algorithm: 'token algorithm not allowed',
  unknown_key: 'token signed by an unknown key',
  signature: 'token signature invalid',
  issuer: 'token issuer not accepted',
  audience: 'token audience not accepted',
  expired: 'token expired',
  not_yet_valid: 'token not yet valid',
  claims: 'token claims incomplete',
  revoked: 'token revoked (no such AgentToken)',
  wrong_host: 'token not valid for this host',
  rotated: 'token superseded by a rotation',
  join_expired: 'join token expired: create a new one (rotate its AgentToken with the berth.dev/rotate annotation) and use it within its ttl',
  join_used: 'join token already used: its host has enrolled; rotate the AgentToken for a new join token',
  wrong_use: 'token not valid for this AgentToken (a join token, or a credential no longer current)',
};

export type VerifyResult =
  | { ok: true; hostKey: string; tokenUid: string; token: AgentToken; issuedAt: Date; expiresAt?: Date; use?: TokenUse }
  | { ok: false; code: VerifyFailureCode; reason: string };

export interface VerifyOptions {
  /** The current verification key(s); a token whose header kid is not among them is refused. */
  publicKeys: VerificationKey | readonly VerificationKey[];
  /** The live AgentToken with this metadata.uid (Store.tokenByUid), or undefined once deleted. */
  lookupTokenByUid: (uid: string) => AgentToken | undefined | Promise<AgentToken | undefined>;
  now?: Date | number;
  clockToleranceSec?: number;
}

class Refusal extends Error {
  constructor(readonly code: VerifyFailureCode) { super(code); }
}

const fail = (code: VerifyFailureCode): VerifyResult => ({ ok: false, code, reason: VERIFY_REASONS[code] });

function classify(err: unknown): VerifyFailureCode {
  if (err instanceof Refusal) return err.code;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing') return 'claims';
    switch (err.claim) {
      case 'iss': return 'issuer';
      case 'aud': return 'audience';
      case 'nbf': return 'not_yet_valid';
      case 'exp': return 'expired';
      default: return 'claims';
    }
  }
  return 'malformed';
}

/** True when `s` looks like a compact JWS at all (three base64url parts). Cheap pre-filter. */
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export async function verifyAgentToken(jwt: string, opts: VerifyOptions): Promise<VerifyResult> {
  if (typeof jwt !== 'string' || jwt.length === 0 || jwt.length > MAX_TOKEN_CHARS || !COMPACT.test(jwt)) return fail('malformed');
  const keys: readonly VerificationKey[] = Array.isArray(opts.publicKeys) ? opts.publicKeys : [opts.publicKeys as VerificationKey];
  const tolerance = opts.clockToleranceSec ?? 30;
  const now = opts.now === undefined ? new Date() : new Date(opts.now);

  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(jwt, (header) => {
      if (header.alg !== TOKEN_ALG) throw new Refusal('algorithm');
      const key = typeof header.kid === 'string' ? keys.find((k) => k.kid === header.kid) : undefined;
      if (!key) throw new Refusal('unknown_key');
      return key.publicKey;
    }, {
      algorithms: [TOKEN_ALG],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      clockTolerance: tolerance,
      currentDate: now,
      requiredClaims: ['sub', 'jti', 'iat'],
    }));
  } catch (err) {
    const code = classify(err);
    // The signature held (jose checks it before the claims): say that a join token ran out.
    return fail(code === 'expired' && claimedUse(jwt) === 'join' ? 'join_expired' : code);
  }

  const { sub, jti, iat, exp } = payload;
  if (typeof sub !== 'string' || typeof jti !== 'string' || typeof iat !== 'number' || jti.length === 0) return fail('claims');
  const nowSec = now.getTime() / 1000;
  if (iat > nowSec + tolerance) return fail('not_yet_valid');

  let token: AgentToken | undefined;
  try { token = await opts.lookupTokenByUid(jti); } catch { return fail('revoked'); }
  const refused = checkAgainstToken(sub, jti, iat, token);
  if (refused || !token) return fail(refused ?? 'revoked');
  const use = payload[USE_CLAIM];
  const usage = checkUse(token, use, payload[CREDENTIAL_ID_CLAIM]);
  if (usage) return fail(usage);

  return {
    ok: true,
    hostKey: sub,
    tokenUid: jti,
    token,
    issuedAt: new Date(iat * 1000),
    ...(typeof exp === 'number' ? { expiresAt: new Date(exp * 1000) } : {}),
    ...(use === 'join' || use === 'credential' ? { use } : {}),
  };
}

/**
 * Enrollment (spec.bootstrap): a bootstrap AgentToken accepts its join token until it was burned
 * (status.enrollment.joinIssuedAt = status.issuedAt), and then only the credential whose `cid` is
 * status.enrollment.credentialID; an ordinary AgentToken accepts neither kind.
 */
function checkUse(token: AgentToken, use: unknown, cid: unknown): VerifyFailureCode | undefined {
  const enrollment = token.status?.enrollment;
  if (!token.spec.bootstrap) return use === undefined ? undefined : 'wrong_use';
  if (use === 'join') return enrollment && enrollment.joinIssuedAt === token.status?.issuedAt ? 'join_used' : undefined;
  if (use === 'credential') return typeof cid === 'string' && enrollment?.credentialID === cid ? undefined : 'wrong_use';
  return 'wrong_use';
}

function claimedUse(jwt: string): unknown {
  try { return decodeJwt(jwt)[USE_CLAIM]; } catch { return undefined; }
}

/**
 * The part of verification that can change after a connection was admitted: the AgentToken behind
 * `jti` must still exist (not being deleted), name the `sub` host, and not have been re-issued
 * after `iat` (seconds). Used at the handshake and again on live sessions (session-recheck.ts).
 */
export function checkAgainstToken(sub: string, jti: string, iat: number, token: AgentToken | undefined): 'revoked' | 'wrong_host' | 'rotated' | undefined {
  if (!token || token.metadata.uid !== jti || token.metadata.deletionTimestamp) return 'revoked';
  if (subjectOf(token) !== sub) return 'wrong_host';
  // Rotation: status.issuedAt records the latest mint (whole seconds, = that token's iat).
  const lastIssued = token.status?.issuedAt ? Date.parse(token.status.issuedAt) : NaN;
  if (Number.isFinite(lastIssued) && iat < Math.floor(lastIssued / 1000)) return 'rotated';
  return undefined;
}
