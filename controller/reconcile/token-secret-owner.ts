// Who may write a token Secret (or, in directory mode, the token files named after it). Two
// AgentTokens of one namespace can name the same secretName (explicitly, or one's explicit name is
// the other's default `<name>-agent-token`); without a rule the second would overwrite the first's
// token and cut its agent off. The rule: the oldest claimant owns the name (creationTimestamp, then
// name: stable across restarts and the same on every replica); every other claimant is refused
// with a status naming the owner, and writes nothing. Pure.
import { agentTokenSecretName, keyOf, type AgentToken, type ResourceKey } from '../api/types.js';

/** Ready=False / Stalled reason of a token refused because another owns its secretName. */
export const SECRET_NAME_CONFLICT = 'SecretNameConflict';

const age = (t: AgentToken): string => t.metadata.creationTimestamp ?? '';

/** True when `a` claimed the name before `b`. */
function olderThan(a: AgentToken, b: AgentToken): boolean {
  const [x, y] = [age(a), age(b)];
  if (x !== y) return x === '' ? false : y === '' ? true : x < y;
  return a.metadata.name < b.metadata.name;
}

/** The live AgentToken that owns `token`'s secretName when it is not `token` itself; undefined when `token` may write. */
export function secretNameOwner(token: AgentToken, all: readonly AgentToken[]): AgentToken | undefined {
  const name = agentTokenSecretName(token);
  let owner: AgentToken | undefined;
  for (const other of all) {
    if (other.metadata.uid === token.metadata.uid || other.metadata.namespace !== token.metadata.namespace) continue;
    if (other.metadata.deletionTimestamp || agentTokenSecretName(other) !== name) continue;
    if (olderThan(other, token) && (!owner || olderThan(other, owner))) owner = other;
  }
  return owner;
}

/** The keys of the namespace's tokens currently refused for a secretName conflict (to look again when a token changes). */
export function conflictingTokens(all: readonly AgentToken[], namespace: string): ResourceKey[] {
  return all.filter((t) => t.metadata.namespace === namespace
    && t.status?.conditions?.some((c) => c.type === 'Ready' && c.reason === SECRET_NAME_CONFLICT)).map((t) => keyOf(t.metadata));
}
