// Issuing X.509 certificates without a PKI library: just enough DER to write a CA certificate and
// server certificates it signs (ECDSA P-256 + SHA-256, which every TLS stack accepts), for
// `--tls auto`. Node can parse and verify certificates (crypto.X509Certificate) but not write them;
// the tests check every certificate written here with Node's own parser and a real TLS handshake.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

// ---- DER, the handful of types a certificate needs ----
function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(body.length), body]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, body: Buffer): Buffer => tlv(0xa0 + n, body);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

function int(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++;
  const body = b.subarray(i);
  return tlv(0x02, (body[0]! & 0x80) ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').replace(/\.\d+Z$/, 'Z');   // YYYYMMDDHHMMSSZ
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

const OID = {
  ecdsaSha256: '1.2.840.10045.4.3.2', commonName: '2.5.4.3', organization: '2.5.4.10',
  basicConstraints: '2.5.29.19', keyUsage: '2.5.29.15', extKeyUsage: '2.5.29.37', serverAuth: '1.3.6.1.5.5.7.3.1',
  subjectAltName: '2.5.29.17', subjectKeyId: '2.5.29.14', authorityKeyId: '2.5.29.35',
};

const name = (cn: string): Buffer => seq(set(seq(oid(OID.organization), utf8('Berth'))), set(seq(oid(OID.commonName), utf8(cn))));
const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyId(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // The EC point is the last 65 bytes of a P-256 SPKI (uncompressed point).
  return createHash('sha1').update(spki.subarray(spki.length - 65)).digest();
}

function sanEntry(entry: string): Buffer {
  if (isIP(entry) === 4) return tlv(0x87, Buffer.from(entry.split('.').map(Number)));
  if (isIP(entry) === 6) {
    const full = expandIPv6(entry);
    return tlv(0x87, Buffer.from(full.flatMap((g) => [g >> 8, g & 0xff])));
  }
  return tlv(0x82, Buffer.from(entry, 'ascii'));
}

function expandIPv6(ip: string): number[] {
  const [head, tail] = ip.includes('::') ? ip.split('::') as [string, string] : [ip, undefined];
  const h = head ? head.split(':').map((g) => parseInt(g, 16)) : [];
  const t = tail ? tail.split(':').map((g) => parseInt(g, 16)) : [];
  return tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

export interface IssuedCertificate { certPem: string; keyPem: string }

interface CertificateRequest {
  commonName: string;
  /** DNS names and IP addresses (server certificates). */
  altNames?: string[];
  isCa: boolean;
  notAfter: Date;
  publicKey: KeyObject;
  /** Signing key and subject of the issuer; absent = self-signed. */
  issuer?: { key: KeyObject; commonName: string; publicKey: KeyObject };
  signingKey: KeyObject;
}

function certificate(r: CertificateRequest): string {
  const alg = seq(oid(OID.ecdsaSha256));
  const notBefore = new Date(Date.now() - 5 * 60_000);   // a little clock skew between machines
  const issuerPub = r.issuer?.publicKey ?? r.publicKey;
  const extensions = [
    ext(OID.basicConstraints, true, r.isCa ? seq(bool(true), int(Buffer.from([0]))) : seq()),
    // CA: keyCertSign + cRLSign (bits 5, 6); server: digitalSignature (bit 0).
    ext(OID.keyUsage, true, r.isCa ? bits(Buffer.from([0x06]), 1) : bits(Buffer.from([0x80]), 7)),
    ext(OID.subjectKeyId, false, octets(keyId(r.publicKey))),
    ext(OID.authorityKeyId, false, seq(tlv(0x80, keyId(issuerPub)))),
  ];
  if (!r.isCa) {
    extensions.push(ext(OID.extKeyUsage, false, seq(oid(OID.serverAuth))));
    extensions.push(ext(OID.subjectAltName, false, seq(...(r.altNames ?? []).map(sanEntry))));
  }
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))), int(serial), alg,
    name(r.issuer?.commonName ?? r.commonName), seq(time(notBefore), time(r.notAfter)), name(r.commonName),
    r.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const der = seq(tbs, alg, bits(sign('sha256', tbs, r.signingKey)));
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

function newKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

/** A self-signed CA (pathLen 0: it signs server certificates only). */
export function issueCa(commonName: string, notAfter: Date): IssuedCertificate {
  const { privateKey, publicKey } = newKey();
  const certPem = certificate({ commonName, isCa: true, notAfter, publicKey, signingKey: privateKey });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A server certificate for `altNames`, signed by the CA. */
export function issueServerCert(ca: IssuedCertificate, commonName: string, altNames: string[], notAfter: Date): IssuedCertificate {
  const { privateKey, publicKey } = newKey();
  const caKey = createPrivateKey(ca.keyPem);
  const caCn = /CN=(.*)/.exec(new X509Certificate(ca.certPem).subject)?.[1] ?? 'Berth CA';
  const certPem = certificate({
    commonName, altNames, isCa: false, notAfter, publicKey, signingKey: caKey,
    issuer: { key: caKey, commonName: caCn, publicKey: createPublicKey(caKey) },
  });
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

