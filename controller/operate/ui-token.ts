// The UI token of directory mode: a random secret the controller generates once into its state
// directory (`<state>/ui-token`, mode 0600), the credential of the operator actions `berth exec` and
// `berth restart` there (and, once the network-security issue lands, of the page). Whoever can read
// the file — the user who runs the controller, or root — may act; nobody else, and never anonymously.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export const UI_TOKEN_FILE = 'ui-token';

/** Read `<stateDir>/ui-token`, creating it (0600, exclusively) with a fresh token if absent. */
export async function ensureUiToken(stateDir: string): Promise<string> {
  const file = join(stateDir, UI_TOKEN_FILE);
  await fsp.mkdir(stateDir, { recursive: true, mode: 0o700 });
  const fresh = randomBytes(32).toString('base64url');
  try {
    await fsp.writeFile(file, `${fresh}\n`, { mode: 0o600, flag: 'wx' });
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const token = (await fsp.readFile(file, 'utf8')).trim();
  if (token.length < 16) throw new Error(`${file} holds no usable token (delete it and restart the controller to make a new one)`);
  return token;
}

/** Constant-time comparison of a presented token with the real one. */
export function tokenMatches(presented: string, real: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(real);
  return a.length === b.length && timingSafeEqual(a, b);
}
