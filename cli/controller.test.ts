// `berth controller` option handling for page auth: Kubernetes mode authenticates the page unless
// --ui-auth=none is given explicitly; directory mode has no Kubernetes API to ask.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseControllerArgs } from './controller.js';

test('--kube defaults to --ui-auth=kubernetes; none only when asked', () => {
  assert.is(parseControllerArgs(['--kube']).uiAuth, 'kubernetes');
  assert.is(parseControllerArgs(['--kube', '--ui-auth', 'none']).uiAuth, 'none');
  assert.is(parseControllerArgs(['--kube', '--ui-auth=kubernetes']).uiAuth, 'kubernetes');
});

test('directory mode is anonymous and cannot ask Kubernetes', () => {
  assert.is(parseControllerArgs(['--dir', '.']).uiAuth, 'none');
  assert.throws(() => parseControllerArgs(['--dir', '.', '--ui-auth', 'kubernetes']), /--ui-auth=kubernetes needs --kube/);
  assert.throws(() => parseControllerArgs(['--kube', '--ui-auth', 'open']), /--ui-auth must be kubernetes, token or none, not "open"/);
});

test('directory mode without sign-in serves loopback only; --ui-auth token opens it to the network', () => {
  assert.is(parseControllerArgs(['--dir', '.', '--listen', '127.0.0.2:7070']).uiAuth, 'none');
  assert.is(parseControllerArgs(['--dir', '.', '--listen', '[::1]:7070']).uiAuth, 'none');
  for (const listen of ['0.0.0.0:7070', ':7070', '10.0.0.5:7070', '[::]:7070']) {
    assert.throws(() => parseControllerArgs(['--dir', '.', '--listen', listen]), /without sign-in, directory mode serves loopback only.*--ui-auth token/);
  }
  assert.is(parseControllerArgs(['--dir', '.', '--listen', '0.0.0.0:7070', '--ui-auth', 'token']).uiAuth, 'token');
  assert.throws(() => parseControllerArgs(['--kube', '--ui-auth', 'token']), /--ui-auth=token is for directory mode/);
});

test('--public-name: repeatable or comma-separated names, checked', () => {
  assert.equal(parseControllerArgs(['--dir', '.', '--public-name', 'a.example', '--public-name', 'b.example,10.0.0.5']).publicNames, ['a.example', 'b.example', '10.0.0.5']);
  assert.throws(() => parseControllerArgs(['--dir', '.', '--public-name', 'http://a.example']), /without scheme, port or path/);
});

test.run();
