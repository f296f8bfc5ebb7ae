import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ContainerHost, SecretData } from '../api/types.js';
import { ResolutionCache } from './resolution-cache.js';

const host = (generation: number, uid = 'u1'): ContainerHost => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost',
  metadata: { name: 'h', namespace: 'ns', uid, generation },
  spec: {
    paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] },
    containers: [{
      name: 'web', image: 'nginx:1.27', state: 'Running', restartPolicy: 'UnlessStopped', network: 'bridge',
      privileged: false, stopTimeoutSeconds: 10, logging: { maxSize: '10Mi', maxFiles: 3 },
      env: [{ name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } }],
    }],
  },
} as ContainerHost);
const secret = (password: string): SecretData => ({ namespace: 'ns', name: 'creds', type: 'Opaque', data: { password: Buffer.from(password) } });

test('a resolution is reused while spec and Secrets are the same objects, and redone when either changes', () => {
  const secrets = new Map<string, SecretData>();
  let lookups = 0;
  const cache = new ResolutionCache((ns, name) => { lookups++; return secrets.get(`${ns}/${name}`); });

  const missing = cache.resolve('ns/h', host(1));
  assert.match(missing.unresolved.get('web') ?? '', /^SecretNotFound: /);
  assert.is(cache.resolve('ns/h', host(1)), missing, 'nothing changed: the same resolution');

  secrets.set('ns/creds', secret('one'));
  const one = cache.resolve('ns/h', host(1));
  assert.is.not(one, missing, 'a Secret that appears is a different answer');
  assert.is(one.unresolved.size, 0);
  assert.is(one.desired.get('web')?.env[0]?.value, 'one');
  assert.is(cache.resolve('ns/h', host(1)), one);

  secrets.set('ns/creds', secret('two'));   // the stores put a new object in place on a change
  const two = cache.resolve('ns/h', host(1));
  assert.is(two.desired.get('web')?.env[0]?.value, 'two');
  assert.is.not(two.desired.get('web')?.specHash, one.desired.get('web')?.specHash, 'a changed secret changes the hash');

  assert.is.not(cache.resolve('ns/h', host(2)), two, 'a new generation is resolved again');
  assert.is.not(cache.resolve('ns/h', host(2, 'u2')), cache.resolve('ns/h', host(2)), 'so is a re-created host (new uid)');

  const before = lookups;
  const again = cache.resolve('ns/h', host(2));
  cache.delete('ns/h');
  assert.is.not(cache.resolve('ns/h', host(2)), again, 'delete() forgets');
  assert.ok(lookups > before);
});

test.run();
