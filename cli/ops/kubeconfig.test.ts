// Reading a bearer token from a kubeconfig without client-node: token, tokenFile, the file order,
// and clear refusals for what berth does not support.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kubeconfigPath, tokenFromKubeconfig } from './kubeconfig.js';

const config = (user: string, current = 'c') => `apiVersion: v1
kind: Config
contexts:
- { name: c, context: { cluster: k, user: u } }
users:
- name: u
  user:
${user.replace(/^/gm, '    ')}
current-context: ${current}
`;

test('token and tokenFile of the current context', () => {
  assert.equal(tokenFromKubeconfig(config('token: abc'), 'f'), { token: 'abc', user: 'u', context: 'c' });
  assert.is(tokenFromKubeconfig(config('tokenFile: /t'), 'f', (p) => (p === '/t' ? 'xyz\n' : '')).token, 'xyz');
});

test('unsupported credentials and broken files are named', () => {
  assert.throws(() => tokenFromKubeconfig(config('exec: { command: aws }'), 'f'), /f: user "u" uses an exec credential plugin; berth reads only a bearer token/);
  assert.throws(() => tokenFromKubeconfig(config('client-certificate-data: AAAA\nclient-key-data: BBBB'), 'f'), /uses a client certificate/);
  assert.throws(() => tokenFromKubeconfig(config('auth-provider: { name: oidc }'), 'f'), /uses an auth-provider/);
  assert.throws(() => tokenFromKubeconfig(config('token: a', 'other'), 'f'), /current-context "other" is not among its contexts/);
  assert.throws(() => tokenFromKubeconfig('a: [', 'f'), /f: not a kubeconfig \(YAML/);
  assert.throws(() => tokenFromKubeconfig(config('tokenFile: /nope'), 'f', () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); }), /cannot read tokenFile \/nope: ENOENT/);
});

test('which file: --kubeconfig, then the first KUBECONFIG entry, then ~/.kube/config', () => {
  assert.is(kubeconfigPath('/flag', { KUBECONFIG: '/env' }), '/flag');
  assert.is(kubeconfigPath(undefined, { KUBECONFIG: ':/a:/b' }), '/a');
  assert.match(kubeconfigPath(undefined, {}), /\.kube\/config$/);
});

test.run();
