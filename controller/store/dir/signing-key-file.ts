// The signing key in directory mode: signing-key.json in the state directory, created once,
// exclusively (two processes racing end up with the same key), mode 0600, and never replaced — every
// token signed with it would stop working.
import { promises as fsp } from 'node:fs';
import type { Logger } from 'pino';
import type { SigningKeyMaterial } from '../store.js';
import { createFileExclusive } from './atomic-file.js';
import { errorCode, errorMessage } from '../../lib/errors.js';
import type { StateDir } from './state-dir.js';

export async function loadOrCreateSigningKey(dir: StateDir, generate: () => Promise<SigningKeyMaterial>, log: Logger): Promise<SigningKeyMaterial> {
  const path = dir.path('signing-key.json');
  await dir.ensure();
  const existing = await readSigningKey(path, log);
  if (existing) return existing;
  const material = await generate();
  if (await createFileExclusive(path, `${JSON.stringify(material)}\n`, 0o600)) {
    log.info({ kid: material.kid, path }, 'signing key created');
    return material;
  }
  // Another process created it first: use theirs.
  const theirs = await readSigningKey(path, log);
  if (!theirs) throw new Error(`signing key ${path} vanished while being created`);
  return theirs;
}

async function readSigningKey(path: string, log: Logger): Promise<SigningKeyMaterial | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(path, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  let material: SigningKeyMaterial;
  try {
    material = JSON.parse(text) as SigningKeyMaterial;
    if (typeof material.kid !== 'string' || typeof material.privateJwk !== 'object' || typeof material.publicJwk !== 'object') throw new Error('missing kid, privateJwk or publicJwk');
  } catch (err) {
    // Never replace a key silently: every token signed with it would stop working.
    throw new Error(`signing key file ${path} is corrupt (${errorMessage(err)}); refusing to replace it — remove it to mint a new key (existing agent tokens then stop working)`);
  }
  const { mode } = await fsp.stat(path);
  if (mode & 0o077) {
    log.warn({ path, mode: (mode & 0o777).toString(8) }, 'signing key file was readable by others; setting mode 0600');
    await fsp.chmod(path, 0o600);
  }
  return material;
}
