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
  assert.throws(() => parseControllerArgs(['--kube', '--ui-auth', 'open']), /--ui-auth must be kubernetes or none, not "open"/);
});

test.run();
