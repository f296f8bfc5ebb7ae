// Which controller the operator verbs talk to, and how a refusal reads.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ApiClient, DEFAULT_SERVER, refusal } from './client.js';

test('--server, else BERTH_SERVER (empty is unset), else the directory-mode default', () => {
  assert.is(new ApiClient({ server: 'http://a:1/', env: { BERTH_SERVER: 'http://b:2' } }).server, 'http://a:1');
  assert.is(new ApiClient({ env: { BERTH_SERVER: 'http://b:2' } }).server, 'http://b:2');
  assert.is(new ApiClient({ env: { BERTH_SERVER: '' } }).server, DEFAULT_SERVER);
  assert.throws(() => new ApiClient({ server: 'ftp://x', env: {} }), /--server must be an http:\/\/ or https:\/\/ URL/);
  assert.throws(() => new ApiClient({ server: 'not a url', env: {} }), /--server must be a URL/);
});

test('refusals: the API\'s message, with what to do about a 401', () => {
  assert.is(refusal(401, '{"error":"Unauthorized","message":"sign in"}', false), 'unauthorized: sign in (give --kubeconfig)');
  assert.is(refusal(403, '{"error":"Forbidden","message":"alice may not"}', true), 'forbidden: alice may not');
  assert.is(refusal(500, 'boom', true), 'the controller answered 500: boom');
});

test.run();
