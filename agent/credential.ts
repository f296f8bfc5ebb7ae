// Enrollment on the agent (issue 12 item 7): an agent started with a one-time join token receives
// its long-lived credential in the controller's first `welcome`, stores it here and connects with it
// from then on — after a restart too, since the stored credential wins over the token file. The
// file is written 0600 atomically (a temporary file in the same directory, then rename), so a crash
// never leaves a half credential; the credential never reaches a log line.
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readTokenClaims } from './token.js';

/** Next to the token file: `box-1.token` → `box-1.credential`, `token` → `token.credential`. */
export function defaultCredentialPath(tokenFile: string): string {
  const name = basename(tokenFile);
  const stem = name.endsWith('.token') && name !== '.token' ? name.slice(0, -'.token'.length) : name;
  return join(dirname(tokenFile), `${stem}.credential`);
}

/** The stored credential, or undefined when there is none yet. Other read errors throw (a sentence naming the file). */
export function readCredential(path: string): string | undefined {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the agent credential ${path}: ${(err as Error).message}`);
  }
  return text.trim() || undefined;
}

export async function storeCredential(path: string, credential: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fsp.writeFile(tmp, `${credential}\n`, { mode: 0o600, flag: 'wx' });
    await fsp.chmod(tmp, 0o600);   // whatever the umask
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw new Error(`cannot store the agent credential at ${path}: ${(err as Error).message}`);
  }
}

/**
 * Which token to connect with: the stored credential, unless the token file now holds a token
 * minted after it — the AgentToken was rotated and the machine given its new join token (enroll
 * again), or it stopped being a bootstrap token and its ordinary token took over.
 */
export function connectToken(credential: string | undefined, token: () => string): string {
  if (credential === undefined) return token();
  let fresh: string;
  try { fresh = token(); } catch { return credential; }
  try {
    const [c, t] = [readTokenClaims(credential), readTokenClaims(fresh)];
    if ((t.iat ?? 0) > (c.iat ?? 0)) return fresh;
  } catch { /* an unreadable token file: keep the credential */ }
  return credential;
}
