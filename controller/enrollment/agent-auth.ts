// The controller's `authenticate` for agent handshakes: verify the JWT (tokens/verify.ts) and, for a
// bootstrap AgentToken's one-time join token, enroll the agent (issue 12 item 7):
//
//   first use   → a long-lived credential bound to the host is minted (tokens/mint.ts
//                 mintCredential, its ID in status.enrollment.credentialID), the join token is burned
//                 (status.enrollment.joinIssuedAt = status.issuedAt) BEFORE the credential leaves,
//                 and the agent receives the credential once, in `welcome`;
//   second use  → 401 "join token already used" and a Warning Event JoinTokenReused naming the remote
//                 address: whoever reaches a machine's join token late cannot take its host over;
//   expired     → 401 saying the join token expired (verify.ts join_expired).
//
// The burn is the status write, so it holds across restarts and leader changes (the status lives in
// the state directory or the apiserver); two handshakes racing with one join token are serialized
// here, so exactly one enrolls. Losing the credential before the agent stored it means rotating the
// AgentToken for a new join token — never a second use of the old one.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { keyOf, type AgentToken } from '../api/types.js';
import type { AuthContext, AuthResult } from '../hub/auth.js';
import type { Store } from '../store/store.js';
import { mintCredential } from '../tokens/mint.js';
import type { SigningKey, VerificationKey } from '../tokens/signing-key.js';
import { verifyAgentToken } from '../tokens/verify.js';

export interface AgentAuthOptions {
  store: Pick<Store, 'tokenByUid' | 'writeTokenStatus' | 'recordEvent'>;
  signingKey: () => SigningKey;
  verificationKeys: () => VerificationKey | readonly VerificationKey[];
  logger: Logger;
  now?: () => Date;
}

/** Warning Events for reused join tokens: at most one per AgentToken in this window (a replay loop must not flood Events). */
const REUSE_EVENT_EVERY_MS = 10_000;

export class AgentAuthenticator {
  /** AgentToken uids whose join token is being exchanged right now. */
  private readonly enrolling = new Set<string>();
  private readonly lastReuseEvent = new Map<string, number>();
  private readonly now: () => Date;

  constructor(private readonly opts: AgentAuthOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  readonly authenticate = async (jwt: string, ctx: AuthContext): Promise<AuthResult> => {
    const lookup = (uid: string) => this.opts.store.tokenByUid(uid);
    const result = await verifyAgentToken(jwt, { publicKeys: this.opts.verificationKeys(), lookupTokenByUid: lookup, now: this.now() });
    if (!result.ok) {
      if (result.code === 'join_used') this.reportReuse(jwt, ctx);
      return result;
    }
    const { token, use, ...auth } = result;
    if (use !== 'join') return auth;
    if (this.enrolling.has(token.metadata.uid)) { this.reportReuse(jwt, ctx, token); return { ok: false, code: 'join_used', reason: 'join token already used: its host has enrolled; rotate the AgentToken for a new join token' }; }
    this.enrolling.add(token.metadata.uid);
    try {
      return await this.enroll(token, auth, ctx);
    } finally {
      this.enrolling.delete(token.metadata.uid);
    }
  };

  private async enroll(token: AgentToken, auth: Omit<Extract<AuthResult, { ok: true }>, 'credential'>, ctx: AuthContext): Promise<AuthResult> {
    const key = keyOf(token.metadata);
    const status = token.status ?? {};
    if (!status.issuedAt) throw new Error(`AgentToken ${key} has no issuedAt yet`);   // 503: retry once issued
    const credentialID = randomUUID();
    const credential = await mintCredential(token, this.opts.signingKey(), credentialID, { now: this.now() });
    const { expiresAt: _joinExpiry, ...rest } = status;   // the credential does not expire
    const enrolledAt = this.now().toISOString().replace(/\.\d+Z$/, 'Z');
    await this.opts.store.writeTokenStatus(key, {
      ...rest,
      enrollment: { joinIssuedAt: status.issuedAt, enrolledAt, credentialID, ...(ctx.remoteAddress ? { remoteAddress: ctx.remoteAddress } : {}) },
    });
    // Fail closed: an apiserver whose AgentToken CRD predates status.enrollment prunes it silently,
    // and a burn that was not stored would leave the join token reusable.
    if (this.opts.store.tokenByUid(token.metadata.uid)?.status?.enrollment?.credentialID !== credentialID) {
      const reason = 'enrollment could not be recorded (the AgentToken CRD lacks status.enrollment: apply the CRDs of this Berth version)';
      this.opts.logger.error({ token: key }, reason);
      this.opts.store.recordEvent('AgentToken', key, { type: 'Warning', reason: 'EnrollmentNotRecorded', message: reason });
      return { ok: false, code: 'enrollment_unsaved', reason };
    }
    const from = ctx.remoteAddress ?? 'an unknown address';
    this.opts.store.recordEvent('AgentToken', key, { type: 'Normal', reason: 'Enrolled', message: `agent of ${auth.hostKey} enrolled from ${from}; its join token is burned` });
    this.opts.logger.info({ token: key, host: auth.hostKey, remoteAddress: ctx.remoteAddress, credentialID }, 'agent enrolled: join token burned, credential issued');
    const { expiresAt: _e, ...admitted } = auth;
    return { ...admitted, issuedAt: new Date(credential.issuedAt), credential: credential.jwt };
  }

  /** The Warning Event of a reused join token, naming where the attempt came from. */
  private reportReuse(jwt: string, ctx: AuthContext, known?: AgentToken): void {
    const token = known ?? this.tokenOf(jwt);
    if (!token) return;
    const key = keyOf(token.metadata);
    const at = this.now().getTime();
    const last = this.lastReuseEvent.get(token.metadata.uid) ?? -Infinity;
    const from = ctx.remoteAddress ?? 'an unknown address';
    this.opts.logger.warn({ token: key, remoteAddress: ctx.remoteAddress }, 'burned join token used again: refused');
    if (at - last < REUSE_EVENT_EVERY_MS) return;
    this.lastReuseEvent.set(token.metadata.uid, at);
    this.opts.store.recordEvent('AgentToken', key, {
      type: 'Warning', reason: 'JoinTokenReused',
      message: `a connection from ${from} presented the already used join token of ${token.metadata.namespace}/${token.spec.hostRef.name}; refused (the enrolled agent keeps its credential)`,
    });
  }

  /** The AgentToken a (verified-signature) join token names, by its jti. */
  private tokenOf(jwt: string): AgentToken | undefined {
    try {
      const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown };
      return typeof payload.jti === 'string' ? this.opts.store.tokenByUid(payload.jti) : undefined;
    } catch { return undefined; }
  }
}
