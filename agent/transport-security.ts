// How the agent protects its link to the controller: TLS with the server always verified (against
// --ca-file, else the CA found beside the token file, else the system's CAs), and plaintext only
// to loopback unless the operator says --insecure-plaintext. Pure apart from the file checks.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';

/** localhost, 127.0.0.0/8, ::1 (and the IPv4-mapped 127/8). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

/** Throws the reason when `endpoint` (ws:// or wss://) would send the token in the clear off this machine. */
export function checkPlaintext(endpoint: string, insecurePlaintext: boolean): void {
  const u = new URL(endpoint);
  if (u.protocol !== 'ws:' || insecurePlaintext || isLoopbackHost(u.hostname)) return;
  throw new Error(`refusing ${u.protocol}//${u.host}: plain ws:// to another machine sends the agent token, secret env values and registry `
    + 'passwords in the clear, and anyone on the path could command this host\'s Docker. Use wss:// (the controller\'s --tls auto or '
    + '--tls-cert), or, on a network you trust completely, pass --insecure-plaintext');
}

/** The CA file to verify the controller with: the one given, else `ca.crt` beside the token file (as written by the controller). */
export function findCaFile(explicit: string | undefined, tokenFile: string | undefined): string | undefined {
  if (explicit) return explicit;
  if (!tokenFile) return undefined;
  const beside = join(dirname(tokenFile), 'ca.crt');
  return existsSync(beside) ? beside : undefined;
}

/** Read and sanity-check a PEM CA bundle; the message names the file. */
export function readCaFile(file: string): string {
  let pem: string;
  try { pem = readFileSync(file, 'utf8'); } catch (err) { throw new Error(`cannot read the CA file ${file}: ${(err as Error).message}`); }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`the CA file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return pem;
}
