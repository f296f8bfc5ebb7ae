// Minted agent tokens in directory mode, where a Secret would be in Kubernetes mode:
//   tokens/<ns>/<secretName>.json    {"token": "<jwt>", "url": "<agent url>"} (the Secret's keys)
//   tokens/<ns>/<secretName>.token   just the JWT, for `berth agent --token-file`
//   tokens/<ns>/ca.crt               the CA of the controller's certificate (with TLS), which the
//                                    agent finds beside its token file (as in a mounted Secret)
// Files 0600, written atomically. The tokens of a deleted AgentToken are useless (revoked); their
// files are removed, as Kubernetes garbage-collects the Secret.
//
// Names cannot collide: a file belongs to the AgentToken whose uid is its token's jti. A write over
// a file of another live AgentToken is refused (the token reconciler already refuses the younger of
// two tokens naming one secretName, token-secret-owner.ts; this is the last line), and a deleted
// AgentToken removes only the files that hold its own tokens, never another's of the same name.
import { promises as fsp } from 'node:fs';
import type { Logger } from 'pino';
import { agentTokenSecretName, keyOf, type AgentToken, type ResourceKey } from '../../api/types.js';
import type { StateDir } from './state-dir.js';

/** Names that are safe as one path segment (DNS-1123 subdomains). */
export const SAFE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class TokenFiles {
  /** AgentToken key → the secret names written for it in this run. */
  private readonly written = new Map<ResourceKey, Set<string>>();

  /** `agentCa`: the CA written beside the tokens (TLS); `isLive(uid)`: whether an AgentToken with this uid exists (its files must not be overwritten). */
  constructor(private readonly dir: StateDir, private readonly log: Logger, private readonly agentCa?: string, private readonly isLive: (uid: string) => boolean = () => false) {}

  /** The jti of the token in an existing `.json` file; undefined when there is none or it cannot be read. */
  private async ownerOf(json: string): Promise<string | undefined> {
    try {
      const { token } = JSON.parse(await fsp.readFile(json, 'utf8')) as { token?: unknown };
      return typeof token === 'string' ? jtiOf(token) : undefined;
    } catch { return undefined; }
  }

  async write(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void> {
    const { namespace, name } = token.metadata;
    if (!SAFE_NAME.test(namespace) || !SAFE_NAME.test(secretName)) throw new Error(`invalid token file name ${namespace}/${secretName}`);
    const json = this.dir.path('tokens', namespace, `${secretName}.json`);
    const plain = this.dir.path('tokens', namespace, `${secretName}.token`);
    // One queue per secret name (the .json's): the ownership check and the writes, or a removal's
    // check and deletes, never interleave.
    await Promise.all([
      this.dir.run(json, async () => {
        const owner = await this.ownerOf(json);
        if (owner !== undefined && owner !== token.metadata.uid && this.isLive(owner)) {
          throw new Error(`token file ${namespace}/${secretName} belongs to another AgentToken (uid ${owner}); choose another spec.secretName`);
        }
        await Promise.all([
          this.dir.writeFile(json, `${JSON.stringify({ token: jwt, url: agentUrl, ...(this.agentCa ? { 'ca.crt': this.agentCa } : {}) }, null, 2)}\n`),
          this.dir.writeFile(plain, jwt),
        ]);
      }),
      // One CA for every token of the namespace; no secretName can collide with it (those end in .token/.json).
      ...(this.agentCa ? [this.dir.run(this.dir.path('tokens', namespace, 'ca.crt'), () => this.dir.writeFile(this.dir.path('tokens', namespace, 'ca.crt'), this.agentCa!))] : []),
    ]);
    const key = keyOf(token.metadata);
    const names = this.written.get(key) ?? new Set<string>();
    names.add(secretName);
    this.written.set(key, names);
    this.log.info({ kind: 'AgentToken', key: `${namespace}/${name}`, file: plain }, 'agent token written');   // never the token
  }

  /**
   * Remove the files of a deleted AgentToken: those written this run, and its current spec's — each
   * unless it holds another AgentToken's token (that one may own the name now).
   */
  async remove(key: ResourceKey, token: AgentToken | undefined): Promise<void> {
    const namespace = key.slice(0, key.indexOf('/'));
    const names = this.written.get(key) ?? new Set<string>();
    this.written.delete(key);
    if (token) names.add(agentTokenSecretName(token));
    for (const name of names) {
      if (!SAFE_NAME.test(name)) continue;
      const json = this.dir.path('tokens', namespace, `${name}.json`);
      await this.dir.run(json, async () => {
        const owner = await this.ownerOf(json);
        if (owner !== undefined && (token ? owner !== token.metadata.uid : this.isLive(owner))) return;
        await Promise.all([json, this.dir.path('tokens', namespace, `${name}.token`)].map((path) => fsp.rm(path, { force: true })));
      }).catch(() => undefined);
    }
  }
}

/** The jti claim of a JWT, read without verifying it (only to tell whose file this is). */
export function jtiOf(jwt: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti?: unknown };
    return typeof payload.jti === 'string' ? payload.jti : undefined;
  } catch { return undefined; }
}
