import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { apiVersions } from './docker-runtime.js';

test('the Engine API versions from GET /version are kept when they look like one', () => {
  assert.equal(apiVersions({ ApiVersion: '1.41', MinAPIVersion: '1.12' }), { apiVersion: '1.41', minAPIVersion: '1.12' });
  assert.equal(apiVersions({ ApiVersion: '1.52' }), { apiVersion: '1.52' });
});

test('anything else (missing, wrong type, a long or odd string) is left out, not sent', () => {
  assert.equal(apiVersions({}), {});
  assert.equal(apiVersions({ ApiVersion: 1.41, MinAPIVersion: 'x'.repeat(40) }), {});
  assert.equal(apiVersions({ ApiVersion: '1.41\u001b[31m' }), {});
});

test.run();
