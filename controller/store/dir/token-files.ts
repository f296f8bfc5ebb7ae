// Minted agent tokens in directory mode, where a Secret would be in Kubernetes mode:
//   tokens/<ns>/<secretName>.json    {"token": "<jwt>", "url": "<agent url>"} (the Secret's keys)
//   tokens/<ns>/<secretName>.token   just the JWT, for `berth agent --token-file`
//   tokens/<ns>/ca.crt               the CA of the controller's certificate (with TLS), which the
//                                    agent finds beside its token file (as in a mounted Secret)
// Files 0600, written atomically. The tokens of a deleted AgentToken are useless (revoked); their
// files are removed, as Kubernetes garbage-collects the Secret.
import { promises as fsp } from 'node:fs';
import type { Logger } from 'pino';
import { agentTokenSecretName, keyOf, type AgentToken, type ResourceKey } from '../../api/types.js';
import type { StateDir } from './state-dir.js';

/** Names that are safe as one path segment (DNS-1123 subdomains). */
export const SAFE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export class TokenFiles {
  /** AgentToken key → the secret names written for it in this run. */
  private readonly written = new Map<ResourceKey, Set<string>>();

  constructor(private readonly dir: StateDir, private readonly log: Logger, private readonly agentCa?: string) {}

  async write(token: AgentToken, secretName: string, jwt: string, agentUrl: string): Promise<void> {
    const { namespace, name } = token.metadata;
    if (!SAFE_NAME.test(namespace) || !SAFE_NAME.test(secretName)) throw new Error(`invalid token file name ${namespace}/${secretName}`);
    const json = this.dir.path('tokens', namespace, `${secretName}.json`);
    const plain = this.dir.path('tokens', namespace, `${secretName}.token`);
    await Promise.all([
      this.dir.run(json, () => this.dir.writeFile(json, `${JSON.stringify({ token: jwt, url: agentUrl, ...(this.agentCa ? { 'ca.crt': this.agentCa } : {}) }, null, 2)}\n`)),
      this.dir.run(plain, () => this.dir.writeFile(plain, jwt)),
      // One CA for every token of the namespace; no secretName can collide with it (those end in .token/.json).
      ...(this.agentCa ? [this.dir.run(this.dir.path('tokens', namespace, 'ca.crt'), () => this.dir.writeFile(this.dir.path('tokens', namespace, 'ca.crt'), this.agentCa!))] : []),
    ]);
    const key = keyOf(token.metadata);
    const names = this.written.get(key) ?? new Set<string>();
    names.add(secretName);
    this.written.set(key, names);
    this.log.info({ kind: 'AgentToken', key: `${namespace}/${name}`, file: plain }, 'agent token written');   // never the token
  }

  /** Remove the files of a deleted AgentToken: those written this run, and its current spec's. */
  async remove(key: ResourceKey, token: AgentToken | undefined): Promise<void> {
    const namespace = key.slice(0, key.indexOf('/'));
    const names = this.written.get(key) ?? new Set<string>();
    this.written.delete(key);
    if (token) names.add(agentTokenSecretName(token));
    for (const name of names) {
      if (!SAFE_NAME.test(name)) continue;
      for (const ext of ['json', 'token']) {
        const path = this.dir.path('tokens', namespace, `${name}.${ext}`);
        await this.dir.run(path, () => fsp.rm(path, { force: true })).catch(() => undefined);
      }
    }
  }
}
