import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isPinned, parseImageRef, pinImage, registryBaseUrl } from './reference.js';

const D = `sha256:${'ab'.repeat(32)}`;

test('Docker Hub names get docker.io, library/ and latest as Docker reads them', () => {
  assert.equal(parseImageRef('nginx'), { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' });
  assert.equal(parseImageRef('nginx:1.27'), { registry: 'docker.io', repository: 'library/nginx', tag: '1.27' });
  assert.equal(parseImageRef('grafana/grafana:11.0'), { registry: 'docker.io', repository: 'grafana/grafana', tag: '11.0' });
});

test('a first part with a dot, a port or localhost is a registry; the port is not a tag', () => {
  assert.equal(parseImageRef('127.0.0.1:5000/app'), { registry: '127.0.0.1:5000', repository: 'app', tag: 'latest' });
  assert.equal(parseImageRef('ghcr.io/org/app/web:v2'), { registry: 'ghcr.io', repository: 'org/app/web', tag: 'v2' });
  assert.equal(parseImageRef('localhost/x:1'), { registry: 'localhost', repository: 'x', tag: '1' });
  assert.equal(parseImageRef(`127.0.0.1:5000/app:1@${D}`), { registry: '127.0.0.1:5000', repository: 'app', tag: '1', digest: D });
});

test('bad references are refused with what is wrong', () => {
  assert.throws(() => parseImageRef('Nginx'), /not a valid repository name/);
  assert.throws(() => parseImageRef('nginx@sha256:abc'), /digest after @/);
  assert.throws(() => parseImageRef(' nginx'), /spaces/);
  assert.throws(() => parseImageRef('nginx:bad tag'), /not a valid tag|not a valid repository/);
});

test('pinning keeps the tag and replaces an older digest', () => {
  assert.is(pinImage('127.0.0.1:5000/app:1', D), `127.0.0.1:5000/app:1@${D}`);
  const other = `sha256:${'cd'.repeat(32)}`;
  assert.is(pinImage(`app:1@${D}`, other), `app:1@${other}`);
  assert.ok(isPinned(pinImage('app', D)));
  assert.not.ok(isPinned('app:1'));
  assert.throws(() => pinImage('app', 'sha256:nope'), /not sha256/);
});

test('plain HTTP only for loopback registries or listed ones; Docker Hub by its API host', () => {
  assert.is(registryBaseUrl('docker.io'), 'https://registry-1.docker.io');
  assert.is(registryBaseUrl('127.0.0.1:5000'), 'http://127.0.0.1:5000');
  assert.is(registryBaseUrl('localhost:5000'), 'http://localhost:5000');
  assert.is(registryBaseUrl('registry.lan:5000'), 'https://registry.lan:5000');
  assert.is(registryBaseUrl('registry.lan:5000', ['registry.lan:5000']), 'http://registry.lan:5000');
});

test.run();
