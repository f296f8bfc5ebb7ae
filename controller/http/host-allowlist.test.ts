import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkPublicName, HostAllowlist, hostOf } from './host-allowlist.js';

test('hostOf: port, brackets, case and a trailing dot are dropped; malformed is undefined', () => {
  assert.is(hostOf('LocalHost:7070'), 'localhost');
  assert.is(hostOf('[::1]:7070'), '::1');
  assert.is(hostOf('berth.example.org.'), 'berth.example.org');
  assert.is(hostOf('a b'), undefined);
  assert.is(hostOf('evil.example@127.0.0.1'), undefined);
  assert.is(hostOf(undefined), undefined);
});

test('loopback names always; a rebinding name never; --public-name, the listen IP and the agent URL host when given', () => {
  const plain = new HostAllowlist();
  for (const h of ['127.0.0.1:7070', 'localhost:7070', '[::1]:7070', 'localhost', 'app.localhost:7070']) assert.ok(plain.allows(h), h);
  for (const h of ['attacker.example:7070', 'attacker.example', '127.0.0.1.nip.io:7070', '', undefined, '10.0.0.5:7070']) assert.not.ok(plain.allows(h), String(h));
  const named = new HostAllowlist({ publicNames: ['Berth.Example.org', '[fd00::5]'], listenHost: '10.0.0.5', agentUrl: 'wss://agents.example.org:7443/' });
  for (const h of ['berth.example.org:7070', '10.0.0.5:7070', '[fd00::5]:7070', 'agents.example.org:7443']) assert.ok(named.allows(h), h);
  assert.not.ok(named.allows('attacker.example'));
  assert.not.ok(new HostAllowlist({ listenHost: '0.0.0.0' }).allows('0.0.0.0:7070'), 'the wildcard address is no name');
  assert.ok(new HostAllowlist({ agentListenHost: '10.0.0.7' }).allows('10.0.0.7:7443'), 'the --agent-listen address');
});

test('--public-name takes names and IPs, not URLs', () => {
  assert.is(checkPublicName('berth.example.org'), undefined);
  assert.is(checkPublicName('10.1.2.3'), undefined);
  assert.is(checkPublicName('[fd00::1]'), undefined);
  assert.match(checkPublicName('https://berth.example.org') ?? '', /without scheme, port or path/);
  assert.match(checkPublicName('berth.example.org:7070') ?? '', /--public-name "berth.example.org:7070"/);
});

test.run();
