import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { activeServices, keyed, mergeFiles, resolveExtends } from './merge.js';

test('list and map syntaxes of environment/labels read alike', () => {
  assert.equal(keyed(['A=1', 'B', 'C=x=y']), { A: '1', B: null, C: 'x=y' });
  assert.equal(keyed({ A: 1 }), { A: 1 });
});

test('-f files merge like compose: maps deep, scalars replaced, commands replaced, keyed lists by key, mounts by target, others appended', () => {
  const merged = mergeFiles([
    { services: { web: { image: 'a:1', command: ['x', 'y'], environment: ['A=1', 'B=2'], ports: ['80:80'], volumes: ['d:/data', './c:/conf:ro'], healthcheck: { test: ['CMD', 'a'], interval: '5s' }, depends_on: ['db'] } }, volumes: { d: {} } },
    { services: { web: { image: 'a:2', command: ['z'], environment: { B: '3', C: '4' }, ports: ['443:443', '80:80'], volumes: ['e:/data'], healthcheck: { test: ['CMD', 'b'] }, depends_on: { cache: { condition: 'service_healthy' } } }, extra: { image: 'e' } } },
  ]);
  const web = (merged.services as Record<string, Record<string, unknown>>).web!;
  assert.is(web.image, 'a:2');
  assert.equal(web.command, ['z']);
  assert.equal(web.environment, { A: '1', B: '3', C: '4' });
  assert.equal(web.ports, ['80:80', '443:443']);
  assert.equal(web.volumes, ['e:/data', './c:/conf:ro']);
  assert.equal(web.healthcheck, { test: ['CMD', 'b'], interval: '5s' });
  assert.equal(web.depends_on, { db: null, cache: { condition: 'service_healthy' } });
  assert.ok((merged.services as Record<string, unknown>).extra);
  assert.equal(merged.volumes, { d: {} });
});

test('extends: same file and another file, local fields win, cycles refused', () => {
  const files: Record<string, Record<string, unknown>> = { 'common.yaml': { services: { base: { image: 'b', environment: { A: '1' }, extends: 'root' }, root: { restart: 'always' } } } };
  const out = resolveExtends({ web: { extends: { service: 'base', file: 'common.yaml' }, environment: { B: '2' } }, worker: { extends: 'web', command: 'run' } }, (f) => files[f]!);
  assert.equal(out.web, { image: 'b', restart: 'always', environment: { A: '1', B: '2' } });
  assert.equal(out.worker, { image: 'b', restart: 'always', environment: { A: '1', B: '2' }, command: 'run' });
  assert.throws(() => resolveExtends({ a: { extends: 'b' }, b: { extends: 'a' } }, () => ({})), /cycle/);
  assert.throws(() => resolveExtends({ a: { extends: 'nope' } }, () => ({})), /"nope" not found/);
});

test('profiles: services without profiles always run; others when one of theirs is enabled', () => {
  const services = { web: {}, debug: { profiles: ['debug'] }, tools: { profiles: ['tools', 'debug'] }, ops: { profiles: ['ops'] } };
  assert.equal(Object.keys(activeServices(services, []).active), ['web']);
  assert.equal(Object.keys(activeServices(services, ['debug']).active), ['web', 'debug', 'tools']);
  assert.equal(activeServices(services, ['debug']).skipped, [{ name: 'ops', profiles: ['ops'] }]);
  assert.equal(Object.keys(activeServices(services, ['*']).active).length, 4);
});

test.run();
