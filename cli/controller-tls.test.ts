// `berth controller`'s TLS flags: what goes together, what excludes what.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseControllerArgs } from './controller.js';
import { autoAltNames } from './controller-tls.js';

const tls = (...a: string[]) => parseControllerArgs(['--dir', '.', ...a]).tls;

test('off by default; files; auto; the agent listener', () => {
  assert.is(tls().mode, 'off');
  const f = tls('--tls-cert', 'c.pem', '--tls-key', 'k.pem', '--tls-ca', 'ca.pem');
  assert.is(f.mode, 'files');
  assert.ok(f.certFile!.endsWith('/c.pem') && f.keyFile!.endsWith('/k.pem') && f.caFile!.endsWith('/ca.pem'), 'made absolute');
  const a = tls('--tls', 'auto', '--tls-san', 'ctl.example', '--agent-listen', ':7443');
  assert.is(a.mode, 'auto');
  assert.equal(a.sans, ['ctl.example']);
  assert.equal(a.agentListen, { host: '0.0.0.0', port: 7443 });
});

test('clear refusals for flags that do not fit', () => {
  assert.throws(() => tls('--tls', 'on'), /--tls takes only "auto"/);
  assert.throws(() => tls('--tls-cert', 'c'), /--tls-cert and --tls-key go together/);
  assert.throws(() => tls('--tls', 'auto', '--tls-cert', 'c', '--tls-key', 'k'), /leave out --tls-cert/);
  assert.throws(() => parseControllerArgs(['--kube', '--tls', 'auto']), /--tls auto is for directory mode/);
  assert.throws(() => tls('--tls-san', 'x'), /--tls-san only applies with --tls auto/);
  assert.throws(() => tls('--tls-ca', 'x'), /--tls-ca only applies with --tls-cert/);
  assert.throws(() => tls('--agent-tls-cert', 'c', '--agent-tls-key', 'k'), /only applies with --agent-listen/);
  assert.throws(() => tls('--agent-listen', 'nowhere'), /--agent-listen must be HOST:PORT/);
});

test('--tls auto certifies loopback, the listen address, --agent-url\'s host and --tls-san', () => {
  const names = autoAltNames([{ host: '127.0.0.1' }, { host: '10.20.30.40' }], 'wss://ctl.example:7443', ['extra.example']);
  for (const n of ['localhost', '127.0.0.1', '::1', '10.20.30.40', 'ctl.example', 'extra.example']) assert.ok(names.includes(n), n);
  const wild = autoAltNames([{ host: '0.0.0.0' }], undefined, []);
  assert.ok(wild.length > 3, 'all interface addresses for a wildcard listen');
});

test.run();
