// `--tls auto`: a CA and a server certificate kept in the state directory, for directory mode
// without a PKI. The CA is made once and never replaced (agents pin it: it is written next to every
// token); the server certificate is re-issued by that CA when it no longer covers the names the
// controller is reached by, or is near its end, so agents keep trusting it across both.
import { X509Certificate } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ensureDir, writeFileAtomic } from '../store/dir/atomic-file.js';
import { errorCode } from '../lib/errors.js';
import { issueCa, issueServerCert, type IssuedCertificate } from './x509.js';

export const AUTO_TLS_DIR = 'tls';
const DAY = 86_400_000;
const CA_DAYS = 3650;
const SERVER_DAYS = 397;       // the longest browsers accept
const RENEW_BEFORE_DAYS = 30;

export interface AutoTlsFiles { caFile: string; certFile: string; keyFile: string; caPem: string; reissued: boolean }

async function readPair(certFile: string, keyFile: string): Promise<IssuedCertificate | undefined> {
  try {
    return { certPem: await fsp.readFile(certFile, 'utf8'), keyPem: await fsp.readFile(keyFile, 'utf8') };
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/** Does the server certificate still serve: signed by `ca`, covering every name, not near its end? */
export function serverCertFits(certPem: string, caPem: string, altNames: string[], now = Date.now()): boolean {
  let cert: X509Certificate;
  try { cert = new X509Certificate(certPem); } catch { return false; }
  if (!cert.verify(new X509Certificate(caPem).publicKey)) return false;
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_DAYS * DAY) return false;
  return altNames.every((n) => (/^[\d.]+$|:/.test(n) ? cert.checkIP(n) : cert.checkHost(n)) !== undefined);
}

/**
 * Make (or keep) <state>/tls/{ca.crt,ca.key,server.crt,server.key}, all 0600. `altNames`: the DNS
 * names and addresses agents and browsers use (the caller adds loopback, the host name, the
 * addresses listened on and those of --agent-url / --tls-san).
 */
export async function ensureAutoTls(stateDir: string, altNames: string[]): Promise<AutoTlsFiles> {
  const dir = join(stateDir, AUTO_TLS_DIR);
  await ensureDir(stateDir);
  await ensureDir(dir);
  const caFile = join(dir, 'ca.crt'), caKeyFile = join(dir, 'ca.key');
  const certFile = join(dir, 'server.crt'), keyFile = join(dir, 'server.key');
  let ca = await readPair(caFile, caKeyFile);
  if (!ca) {
    ca = issueCa('Berth controller CA', new Date(Date.now() + CA_DAYS * DAY));
    // Key first: a crash in between leaves no CA certificate without its key.
    await writeFileAtomic(caKeyFile, ca.keyPem, 0o600);
    await writeFileAtomic(caFile, ca.certPem, 0o600);
  }
  const server = await readPair(certFile, keyFile);
  const names = [...new Set(altNames)];
  let reissued = false;
  if (!server || !serverCertFits(server.certPem, ca.certPem, names)) {
    const next = issueServerCert(ca, names.find((n) => !/^[\d.]+$|:/.test(n)) ?? 'berth-controller', names, new Date(Date.now() + SERVER_DAYS * DAY));
    // Key before certificate; the reloader only takes a pair whose key matches (tls-files.ts).
    await writeFileAtomic(keyFile, next.keyPem, 0o600);
    await writeFileAtomic(certFile, next.certPem, 0o600);
    reissued = true;
  }
  return { caFile, certFile, keyFile, caPem: ca.certPem, reissued };
}
