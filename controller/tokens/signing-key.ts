// The controller's token signing key: one Ed25519 key pair, persisted by the Store as JWKs
// (SigningKeyMaterial) and imported back into WebCrypto keys on start. The `kid` is the RFC 7638
// JWK thumbprint (SHA-256) of the public key, so it is stable, derived, and checkable on import.
// Never log or expose `privateJwk`.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { webcrypto } from 'node:crypto';
import type { JsonWebKeyShape, SigningKeyMaterial } from '../store/store.js';

type CryptoKey = webcrypto.CryptoKey;

export const TOKEN_ALG = 'EdDSA';

/** The signing key, ready to mint with. */
export interface SigningKey { kid: string; privateKey: CryptoKey; publicKey: CryptoKey }
/** A key that verifies tokens; several may be current while a signing key is being replaced. */
export interface VerificationKey { kid: string; publicKey: CryptoKey }

/** Keep only string members (kty, crv, x, d, kid, alg, use): the shape the Store persists. */
function stringsOnly(jwk: JWK): JsonWebKeyShape {
  const out: JsonWebKeyShape = {};
  for (const [k, v] of Object.entries(jwk)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A fresh Ed25519 key pair as JWKs, with kid = the public key's JWK thumbprint. */
export async function generateSigningKey(): Promise<SigningKeyMaterial> {
  const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { crv: 'Ed25519', extractable: true });
  const pub = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(pub, 'sha256');
  const meta = { kid, alg: TOKEN_ALG, use: 'sig' };
  return {
    kid,
    publicJwk: { ...stringsOnly(pub), ...meta },
    privateJwk: { ...stringsOnly(await exportJWK(privateKey)), ...meta },
  };
}

function checkOkp(jwk: JsonWebKeyShape, which: string, needPrivate: boolean): void {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new Error(`signing key: ${which} JWK is not an Ed25519 (OKP) key`);
  }
  if (needPrivate && typeof jwk.d !== 'string') throw new Error(`signing key: ${which} JWK has no private part`);
  if (!needPrivate && 'd' in jwk) throw new Error(`signing key: ${which} JWK must not carry a private part`);
}

/** Only the public half (and kid) — what verification needs. */
export async function importVerificationKey(material: { kid: string; publicJwk: JsonWebKeyShape }): Promise<VerificationKey> {
  checkOkp(material.publicJwk, 'public', false);
  const { kty, crv, x } = material.publicJwk;
  const thumbprint = await calculateJwkThumbprint({ kty, crv, x } as JWK, 'sha256');
  if (thumbprint !== material.kid) throw new Error('signing key: kid does not match the public key (corrupted key material?)');
  const publicKey = await importJWK({ kty, crv, x } as JWK, TOKEN_ALG);
  return { kid: material.kid, publicKey: publicKey as CryptoKey };
}

/** Import persisted material; refuses material whose kid or halves do not belong together. */
export async function importSigningKey(material: SigningKeyMaterial): Promise<SigningKey> {
  const { publicKey, kid } = await importVerificationKey(material);
  checkOkp(material.privateJwk, 'private', true);
  if (material.privateJwk.x !== material.publicJwk.x) throw new Error('signing key: private and public JWKs are not one key pair');
  const { kty, crv, x, d } = material.privateJwk;
  const privateKey = await importJWK({ kty, crv, x, d } as JWK, TOKEN_ALG);
  return { kid, privateKey: privateKey as CryptoKey, publicKey };
}
