// The key of the spec hashes' HMAC (issue 12: an unsalted SHA-256 of secret values sat in status,
// testable offline). Derived with HKDF from the signing key's private part, so it needs no new
// storage and is the same on every replica and after every restart or leader change (a different
// key would change every secret-bearing hash, and so recreate those containers). Whoever holds the
// signing key can compute it — they can mint agent tokens anyway. Replacing the signing key
// therefore recreates, once, every container with secret env or files.
import { hkdfSync } from 'node:crypto';
import type { SigningKeyMaterial } from '../store/store.js';

export function specHashKey(material: SigningKeyMaterial): Buffer {
  const secret = material.privateJwk.d;
  if (!secret) throw new Error(`signing key ${material.kid}: no private part ("d") to derive the spec-hash key from`);
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'base64url'), 'berth.dev', 'berth spec-hash hmac v1', 32));
}
