// The certificates `--tls auto` writes, checked by Node's own X.509 parser and real TLS handshakes;
// the state files; the reloading certificate source.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ensureAutoTls, serverCertFits } from './auto-tls.js';
import { checkPair, TlsFiles } from './tls-files.js';
import { createListener, listenOn } from './servers.js';
import { issueCa, issueServerCert } from './x509.js';

const year = () => new Date(Date.now() + 365 * 86_400_000);
const silent = pino({ level: 'silent' });

/** GET / over TLS trusting only `ca`; resolves with the server certificate's fingerprint, rejects on a verification error. */
function fingerprintVia(port: number, ca: string, servername = 'localhost', host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, ca, servername, path: '/', agent: false }, (res) => {
      const fp = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      res.resume(); res.on('end', () => resolve(fp));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a CA and a server certificate it signs: parsed by Node, names and key usage right', () => {
  const ca = issueCa('Test CA', year());
  const caX = new X509Certificate(ca.certPem);
  assert.ok(caX.ca, 'basicConstraints CA:true');
  assert.ok(caX.verify(caX.publicKey), 'self-signed');
  const srv = issueServerCert(ca, 'ctl.example', ['ctl.example', '10.0.0.7', '::1', 'localhost'], year());
  const x = new X509Certificate(srv.certPem);
  assert.not.ok(x.ca);
  assert.ok(x.verify(caX.publicKey), 'signed by the CA');
  assert.ok(x.checkIssued(caX));
  assert.is(x.checkHost('ctl.example'), 'ctl.example');
  assert.is(x.checkIP('10.0.0.7'), '10.0.0.7');
  assert.is(x.checkIP('::1'), '::1');
  assert.is(x.checkHost('other.example'), undefined);
  assert.is(x.checkIP('10.0.0.8'), undefined);
  assert.equal(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'serverAuth');
  assert.ok(checkPair(srv.certPem, srv.keyPem, { certFile: 'c', keyFile: 'k' }).fingerprint);
  assert.throws(() => checkPair(srv.certPem, ca.keyPem, { certFile: 'c', keyFile: 'k' }), /k is not the key of the certificate in c/);
});

test('a real TLS handshake trusts the server certificate through the CA, and refuses another CA and a wrong name', async () => {
  const ca = issueCa('Test CA', year());
  const srv = issueServerCert(ca, 'localhost', ['localhost', '127.0.0.1'], year());
  const server: Server = createServer({ cert: srv.certPem, key: srv.keyPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  try {
    assert.is(await fingerprintVia(port, ca.certPem), new X509Certificate(srv.certPem).fingerprint256);
    const other = issueCa('Other CA', year());
    await fingerprintVia(port, other.certPem).then(() => assert.unreachable('another CA must not verify'), (err: Error) => assert.match(err.message, /certificate/));
    await fingerprintVia(port, ca.certPem, 'elsewhere.example').then(() => assert.unreachable('a name outside the SANs'), (err: Error) => assert.match(err.message, /altnames|does not match/i));
  } finally { server.close(); }
});

test('--tls auto: files 0600, the CA made once, the server certificate re-issued by it only when the names change', async () => {
  const state = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  try {
    const first = await ensureAutoTls(state, ['localhost', '127.0.0.1']);
    assert.ok(first.reissued);
    for (const f of ['ca.crt', 'ca.key', 'server.crt', 'server.key']) assert.is(statSync(join(state, 'tls', f)).mode & 0o777, 0o600, f);
    assert.is(statSync(join(state, 'tls')).mode & 0o777, 0o700);
    const cert1 = readFileSync(first.certFile, 'utf8');
    const again = await ensureAutoTls(state, ['127.0.0.1', 'localhost']);
    assert.not.ok(again.reissued, 'same names: kept');
    assert.is(readFileSync(again.certFile, 'utf8'), cert1);
    const wider = await ensureAutoTls(state, ['localhost', '127.0.0.1', '10.9.8.7']);
    assert.ok(wider.reissued, 'a new name: re-issued');
    assert.is(wider.caPem, first.caPem, 'by the same CA, which agents have pinned');
    assert.ok(serverCertFits(readFileSync(wider.certFile, 'utf8'), first.caPem, ['10.9.8.7', 'localhost']));
    assert.not.ok(serverCertFits(cert1, first.caPem, ['10.9.8.7']));
  } finally { rmSync(state, { recursive: true, force: true }); }
});

test('TlsFiles: a renewed pair is served to new connections; a half-written renewal keeps the old one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  const ca = issueCa('Test CA', year());
  const a = issueServerCert(ca, 'localhost', ['localhost', '127.0.0.1'], year());
  const b = issueServerCert(ca, 'localhost', ['localhost', '127.0.0.1'], year());
  const certFile = join(dir, 'tls.crt'), keyFile = join(dir, 'tls.key');
  writeFileSync(certFile, a.certPem); writeFileSync(keyFile, a.keyPem);
  const files = new TlsFiles({ certFile, keyFile, logger: silent, pollMs: 60_000 });
  const l = createListener((_req, res) => res.end('ok'), files);
  const url = await listenOn(l, { host: '127.0.0.1', port: 0 });
  const port = Number(new URL(url).port);
  try {
    assert.match(url, /^https:/);
    const fpA = new X509Certificate(a.certPem).fingerprint256, fpB = new X509Certificate(b.certPem).fingerprint256;
    assert.is(await fingerprintVia(port, ca.certPem), fpA);
    writeFileSync(certFile, b.certPem);            // the key not yet: a mismatched pair
    assert.not.ok(await files.check());
    assert.is(await fingerprintVia(port, ca.certPem), fpA, 'still the old, complete pair');
    writeFileSync(keyFile, b.keyPem);
    assert.ok(await files.check());
    assert.is(await fingerprintVia(port, ca.certPem), fpB, 'new connections get the new certificate');
    assert.not.ok(await files.check(), 'unchanged files: nothing to do');
  } finally { files.stop(); l.close(); l.server.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('TlsFiles names the file at fault at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  try {
    writeFileSync(join(dir, 'c'), 'nope'); writeFileSync(join(dir, 'k'), 'nope');
    assert.throws(() => new TlsFiles({ certFile: join(dir, 'missing'), keyFile: join(dir, 'k'), logger: silent }), /--tls-cert .*missing/);
    assert.throws(() => new TlsFiles({ certFile: join(dir, 'c'), keyFile: join(dir, 'k'), logger: silent }), /c: not a PEM certificate/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test.run();
