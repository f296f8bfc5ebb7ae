// Reconciles one AgentToken: mint its JWT when it has none, when its spec changed, or when the
// berth.dev/rotate annotation asks for a new one; store it (Secret or 0600 file) with the agent URL;
// keep status (never the token). A deleted AgentToken revokes its token: the hub closes the agent
// that uses it. A rotation closes agents still on the old token.
import type { Logger } from 'pino';
import { CLOSE } from '../../protocol/frames.js';
import { agentTokenSecretName, ANNOTATIONS, type AgentToken, type AgentTokenStatus, type Condition, type ResourceKey } from '../api/types.js';
import type { AgentHub } from '../hub/hub.js';
import type { Store } from '../store/store.js';
import { progressConditions } from './kstatus.js';
import { SECRET_NAME_CONFLICT, secretNameOwner } from './token-secret-owner.js';
import type { Reconciler, ReconcileResult } from './loop.js';
import { LastUsedRecorder } from './token-last-used.js';
import { mintAgentToken } from '../tokens/mint.js';
import type { SigningKey } from '../tokens/signing-key.js';

export class TokenReconciler implements Reconciler<ResourceKey> {
  /** key → uid, remembered so a deleted token (gone from the store) can still be revoked. */
  private readonly uids = new Map<ResourceKey, string>();
  /** lastUsedAt: remembered at connect, written later and at most once a minute (token-last-used.ts). */
  private readonly lastUsed: LastUsedRecorder;

  constructor(
    private readonly store: Store,
    private readonly hub: AgentHub,
    private readonly signingKey: () => SigningKey,
    private readonly agentUrl: () => string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.lastUsed = new LastUsedRecorder({
      lookup: (uid) => this.store.tokenByUid(uid)?.status,
      write: (uid, at) => this.writeLastUsed(uid, at),
      onError: (uid, err) => this.logger.warn({ err, tokenUid: uid }, 'could not record lastUsedAt'),
      now: () => this.now().getTime(),
    });
    hub.on('connected', (_host, _hello, session) => { if (session.tokenUid) this.lastUsed.used(session.tokenUid); });
  }

  /** `signal` (leadership lost, stopping) is checked before each side effect: token write, status, revocation. */
  async reconcile(key: ResourceKey, signal: AbortSignal): Promise<ReconcileResult> {
    const token = this.store.token(key);
    if (!token) {
      const uid = this.uids.get(key);
      if (uid) {
        signal.throwIfAborted();
        this.uids.delete(key);
        const closed = this.hub.disconnectToken(uid, CLOSE.revoked, 'token revoked: its AgentToken was deleted');
        this.logger.info({ token: key, closed }, 'AgentToken deleted: token revoked');
      }
      return {};
    }
    this.uids.set(key, token.metadata.uid);
    const status = token.status ?? {};
    const rotation = token.metadata.annotations?.[ANNOTATIONS.rotate] ?? '';
    const secretName = agentTokenSecretName(token);
    const owner = secretNameOwner(token, this.store.tokensClaiming(token.metadata.namespace, secretName));
    if (owner) return this.refuseConflict(key, token, secretName, owner, signal);
    const current = status.tokenID === token.metadata.uid && status.observedGeneration === token.metadata.generation
      && (status.rotation ?? '') === rotation && status.secretName === secretName && status.issuedAt !== undefined;
    if (current) return {};

    const minted = await mintAgentToken(token, this.signingKey(), { now: this.now() });
    signal.throwIfAborted();
    await this.store.writeAgentToken(token, secretName, minted.jwt, this.agentUrl());
    const next: AgentTokenStatus = {
      observedGeneration: token.metadata.generation, secretName, tokenID: minted.tokenID, issuedAt: minted.issuedAt,
      ...(minted.expiresAt ? { expiresAt: minted.expiresAt } : {}),
      ...(status.lastUsedAt ? { lastUsedAt: status.lastUsedAt } : {}),
      ...(rotation ? { rotation } : {}),
      // kstatus: issued is settled. A failure to issue throws (the loop retries with backoff) and
      // leaves the status as it was: a new token keeps the CRD's default observedGeneration 0, so
      // kstatus tools see it InProgress, never Current, until it is issued.
      conditions: [this.readyCondition(token, status.conditions),
        ...progressConditions({ state: 'settled', reason: 'Issued', message: `token written to ${secretName}` }, token.metadata.generation, this.now().toISOString(), status.conditions)],
    };
    signal.throwIfAborted();
    await this.store.writeTokenStatus(key, next);
    const rotated = status.issuedAt !== undefined && status.tokenID === token.metadata.uid;
    this.store.recordEvent('AgentToken', key, { type: 'Normal', reason: rotated ? 'Rotated' : 'Issued', message: `token written to ${secretName}` });
    if (rotated) this.hub.disconnectToken(token.metadata.uid, CLOSE.revoked, 'token rotated', { issuedBefore: new Date(minted.issuedAt) });
    return {};
  }

  /**
   * Another AgentToken owns this secretName: write nothing there (it would overwrite that token and
   * cut its agent off), say so in status once. status.secretName is dropped so the token is minted
   * as soon as the name is free (the controller re-enqueues conflicting tokens on every AgentToken
   * change); issuedAt stays, so the rotation barrier still holds for older tokens of this one.
   */
  private async refuseConflict(key: ResourceKey, token: AgentToken, secretName: string, owner: AgentToken, signal: AbortSignal): Promise<ReconcileResult> {
    const status = token.status ?? {};
    const message = `secretName "${secretName}" is already used by AgentToken ${owner.metadata.namespace}/${owner.metadata.name} (the older one keeps it); choose another spec.secretName`;
    const before = status.conditions?.find((c) => c.type === 'Ready');
    if (before?.reason === SECRET_NAME_CONFLICT && before.message === message && status.observedGeneration === token.metadata.generation && status.secretName === undefined) return {};
    const now = this.now().toISOString();
    const { secretName: _dropped, ...kept } = status;
    const next: AgentTokenStatus = {
      ...kept, observedGeneration: token.metadata.generation,
      conditions: [
        { type: 'Ready', status: 'False', reason: SECRET_NAME_CONFLICT, message, observedGeneration: token.metadata.generation,
          lastTransitionTime: before?.status === 'False' ? before.lastTransitionTime : now },
        ...progressConditions({ state: 'stalled', reason: SECRET_NAME_CONFLICT, message }, token.metadata.generation, now, status.conditions),
      ],
    };
    signal.throwIfAborted();
    await this.store.writeTokenStatus(key, next);
    this.store.recordEvent('AgentToken', key, { type: 'Warning', reason: SECRET_NAME_CONFLICT, message });
    return {};
  }

  private readyCondition(token: AgentToken, previous: Condition[] | undefined): Condition {
    const before = previous?.find((c) => c.type === 'Ready');
    return {
      type: 'Ready', status: 'True', reason: 'Issued', observedGeneration: token.metadata.generation,
      message: `token for ${token.metadata.namespace}/${token.spec.hostRef.name} issued`,
      lastTransitionTime: before?.status === 'True' ? before.lastTransitionTime : this.now().toISOString(),
    };
  }

  /** Stops the deferred lastUsedAt writes (uses not yet written are dropped: bookkeeping only). */
  stop(): void { this.lastUsed.stop(); }

  private async writeLastUsed(uid: string, at: string): Promise<void> {
    const token = this.store.tokenByUid(uid);
    if (!token?.status) return;
    // From the status as stored at the write (again after a 409), never from this copy: a write in
    // between (the issue, a rotation) must not be undone by a lastUsedAt.
    await this.store.writeTokenStatus(`${token.metadata.namespace}/${token.metadata.name}`, (current) => (current?.issuedAt ? { ...current, lastUsedAt: at } : undefined));
  }
}
