import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeVerdict } from './close-verdict.js';
import { checkPlaintext, findCaFile, isLoopbackHost, readCaFile } from './transport-security.js';

test('loopback: localhost, 127/8, ::1 — nothing else', () => {
  for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '[::1]', '::1', '::ffff:127.0.0.1', 'a.localhost']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['10.0.0.1', '0.0.0.0', 'localhost.example.com', '::', '[fe80::1]', 'controller', '128.0.0.1']) assert.not.ok(isLoopbackHost(h), h);
});

test('ws:// off this machine is refused with the reason and the way out; wss://, loopback and --insecure-plaintext pass', () => {
  assert.throws(() => checkPlaintext('ws://10.0.0.1:7070/agent/v1/connect', false), (e: Error) => /refusing ws:\/\/10\.0\.0\.1:7070/.test(e.message) && /--insecure-plaintext/.test(e.message) && /wss:\/\//.test(e.message));
  checkPlaintext('ws://127.0.0.1:7070/agent/v1/connect', false);
  checkPlaintext('ws://[::1]:7070/agent/v1/connect', false);
  checkPlaintext('wss://10.0.0.1:7443/agent/v1/connect', false);
  checkPlaintext('ws://10.0.0.1:7070/agent/v1/connect', true);
});

test('the CA file: the one given, else ca.crt beside the token file, else none (system CAs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ca-'));
  try {
    const token = join(dir, 'box.token');
    assert.is(findCaFile(undefined, token), undefined);
    writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n');
    assert.is(findCaFile(undefined, token), join(dir, 'ca.crt'));
    assert.is(findCaFile('/given', token), '/given');
    assert.is(findCaFile(undefined, undefined), undefined);
    writeFileSync(join(dir, 'bad'), 'hello');
    assert.throws(() => readCaFile(join(dir, 'bad')), /holds no PEM certificate/);
    assert.throws(() => readCaFile(join(dir, 'missing')), /cannot read the CA file .*missing/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('an unverifiable certificate is an error the operator must fix, with the slow retry', () => {
  const v = closeVerdict(1006, 'self-signed certificate in certificate chain', undefined, { refusedMs: 30_000, supersededMs: 60_000 });
  assert.is(v.level, 'error');
  assert.is(v.floorMs, 30_000);
  assert.match(v.message, /TLS certificate was not accepted/);
  assert.match(v.message, /--ca-file/);
  assert.is(closeVerdict(1006, 'connect ECONNREFUSED', undefined, { refusedMs: 30_000, supersededMs: 60_000 }).level, 'warn');
});

test.run();
