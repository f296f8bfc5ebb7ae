// A certificate and key read from files and re-read when they change, for cert-manager and ACME
// renewals (and `--tls auto` re-issues). Polling the contents, not fs.watch: a Kubernetes Secret
// volume changes by swapping a `..data` symlink, which a watch on the file itself never sees. A new
// pair is taken only when it parses and the key matches the certificate — a half-written renewal
// keeps the old pair serving. Listeners (the HTTPS servers) swap their secure context: new
// connections get the new certificate, connections already open keep theirs.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import type { Logger } from 'pino';

export interface CertPair { cert: string; key: string; /** SHA-256 fingerprint, for logs and tests. */ fingerprint: string; notAfter: string }

/** Parse and check a pair; throws a message naming the file at fault. */
export function checkPair(cert: string, key: string, where: { certFile: string; keyFile: string }): CertPair {
  let x: X509Certificate;
  try { x = new X509Certificate(cert); } catch (err) { throw new Error(`${where.certFile}: not a PEM certificate (${(err as Error).message})`); }
  let k;
  try { k = createPrivateKey(key); } catch (err) { throw new Error(`${where.keyFile}: not a PEM private key (${(err as Error).message})`); }
  if (!x.checkPrivateKey(k)) throw new Error(`${where.keyFile} is not the key of the certificate in ${where.certFile}`);
  return { cert, key, fingerprint: x.fingerprint256, notAfter: x.validTo };
}

export interface TlsFilesOptions { certFile: string; keyFile: string; logger: Logger; /** Poll interval (default 5 s). */ pollMs?: number }

export class TlsFiles {
  private pair: CertPair;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<(pair: CertPair) => void>();
  private checking = false;

  /** Reads the files now: a missing or mismatched pair fails the start with the reason. */
  constructor(private readonly opts: TlsFilesOptions) {
    let cert: string, key: string;
    try { cert = readFileSync(opts.certFile, 'utf8'); } catch (err) { throw new Error(`--tls-cert ${opts.certFile}: ${(err as Error).message}`); }
    try { key = readFileSync(opts.keyFile, 'utf8'); } catch (err) { throw new Error(`--tls-key ${opts.keyFile}: ${(err as Error).message}`); }
    this.pair = checkPair(cert, key, opts);
  }

  get current(): CertPair { return this.pair; }

  onChange(listener: (pair: CertPair) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => { void this.check(); }, this.opts.pollMs ?? 5_000);
    this.timer.unref();
  }

  stop(): void { clearInterval(this.timer); this.timer = undefined; }

  /** Re-read the files; true when a new pair was taken. */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      const [cert, key] = await Promise.all([fsp.readFile(this.opts.certFile, 'utf8'), fsp.readFile(this.opts.keyFile, 'utf8')]);
      if (cert === this.pair.cert && key === this.pair.key) return false;
      let next: CertPair;
      try { next = checkPair(cert, key, this.opts); } catch (err) {
        // Often a renewal caught between its two writes: the next poll sees the finished pair.
        this.opts.logger.warn({ err: (err as Error).message }, 'TLS files changed but do not make a valid pair yet; still serving the previous certificate');
        return false;
      }
      this.pair = next;
      this.opts.logger.info({ certFile: this.opts.certFile, fingerprint: next.fingerprint, notAfter: next.notAfter }, 'TLS certificate reloaded');
      for (const l of this.listeners) l(next);
      return true;
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, 'cannot read the TLS files; still serving the previous certificate');
      return false;
    } finally {
      this.checking = false;
    }
  }
}
