// The Kubernetes store's Secrets that are not in the informer: the minted agent tokens (one Secret
// per AgentToken, in its namespace, never overwriting a Secret Berth did not write) and the signing
// key (one Secret in the controller namespace, create-if-absent and conflict-safe across replicas).
// Read straight from the apiserver.
import type { Logger } from 'pino';
import type { AgentToken } from '../../api/types.js';
import { asKubeError, type KubeApi } from '../../kube/api.js';
import type { SigningKeyMaterial } from '../store.js';
import { agentTokenSecret, isOurTokenSecret, parseSigningKeySecret, SIGNING_KEY_SECRET, signingKeySecret, type RawObject } from './objects.js';

const CONFLICT_RETRIES = 5;

export class KubeSecrets {
  private keyPromise: Promise<SigningKeyMaterial> | undefined;

  constructor(private readonly api: KubeApi, private readonly log: Logger, private readonly controllerNamespace: string, private readonly agentCa?: string) {}

  async writeAgentToken(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void> {
    const namespace = token.metadata.namespace;
    const where = `${namespace}/${secretName}`;
    // A new token's Secret does not exist yet (the common case, and every one of a cold fleet's):
    // create it straight away — one request, not a GET that finds nothing and then a create.
    // AlreadyExists (a rotation, or a Secret someone else wrote) goes the careful way below.
    let existing: RawObject | undefined;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) {
        existing = await this.read(namespace, secretName);
        if (existing && !isOurTokenSecret(existing, token)) {
          throw new Error(`Secret ${where} exists and was not written by Berth for AgentToken ${token.metadata.name}; refusing to overwrite it (choose another spec.secretName, or delete that Secret)`);
        }
      }
      try {
        if (!existing) {
          await this.api.createSecret(`create Secret ${where}`, namespace, agentTokenSecret(token, secretName, jwt, agentUrl, undefined, this.agentCa));
        } else {
          // A full replace, conditional on its resourceVersion: data holds exactly token, url (and ca.crt with TLS).
          await this.api.replaceSecret(`update Secret ${where}`, namespace, secretName, agentTokenSecret(token, secretName, jwt, agentUrl, existing, this.agentCa));
        }
        this.log.info({ kind: 'AgentToken', key: `${namespace}/${token.metadata.name}`, secret: where, created: !existing }, 'agent token written');   // never the token
        return;
      } catch (err) {
        // 409: created or changed by someone in between (or already there) — read again and decide again.
        const e = asKubeError(err, `write Secret ${where}`);
        if (!e.conflict || attempt >= CONFLICT_RETRIES) throw e;
      }
    }
  }

  /** The signing key, loaded or created once per process (a failure is retried by the next call). */
  signingKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial> {
    this.keyPromise ??= this.loadOrCreateSigningKey(generate).catch((err: unknown) => {
      this.keyPromise = undefined;
      throw err;
    });
    return this.keyPromise;
  }

  /** A Secret straight from the apiserver. */
  private async read(namespace: string, name: string): Promise<RawObject | undefined> {
    try {
      return await this.api.readSecret(`get Secret ${namespace}/${name}`, namespace, name) as RawObject;
    } catch (err) {
      if (asKubeError(err, '').notFound) return undefined;
      throw err;
    }
  }

  /**
   * GET → absent: generate and CREATE → 409 AlreadyExists (another replica won the race): GET again
   * and use theirs. Every controller ends up with the same key; an existing key is never replaced.
   */
  private async loadOrCreateSigningKey(generate: () => Promise<SigningKeyMaterial>): Promise<SigningKeyMaterial> {
    const ns = this.controllerNamespace;
    const where = `${ns}/${SIGNING_KEY_SECRET}`;
    const read = async () => {
      const secret = await this.read(ns, SIGNING_KEY_SECRET);
      return secret ? parseSigningKeySecret(secret, where) : undefined;
    };
    const existing = await read();
    if (existing) return existing;
    const material = await generate();
    try {
      await this.api.createSecret(`create Secret ${where}`, ns, signingKeySecret(ns, material));
      this.log.info({ kid: material.kid, secret: where }, 'signing key created');
      return material;
    } catch (err) {
      const e = asKubeError(err, `create Secret ${where}`);
      if (e.conflict) {
        const theirs = await read();
        if (!theirs) throw new Error(`signing key Secret ${where} vanished while being created`);
        this.log.info({ kid: theirs.kid, secret: where }, 'signing key created by another controller; using it');
        return theirs;
      }
      if (e.notFound) {
        throw new Error(`namespace "${ns}" does not exist: it is the controller namespace, where the signing key Secret ${SIGNING_KEY_SECRET} is kept — create it, or set --controller-namespace / POD_NAMESPACE to the namespace the controller runs in`);
      }
      throw e;
    }
  }
}
