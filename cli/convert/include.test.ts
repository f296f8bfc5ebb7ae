import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { absolutize, resolveIncludes } from './include.js';
import { convertCompose } from './convert.js';

test('an included file\'s relative paths resolve against its own directory', () => {
  assert.equal(absolutize({
    services: { a: { image: 'x', volumes: ['./data:/data', 'named:/n', '/abs:/abs', { type: 'bind', source: '../up', target: '/up' }], env_file: 'a.env', extends: { service: 'b', file: 'base.yaml' } } },
    configs: { c: { file: 'c.txt' }, d: { content: 'x' } }, secrets: { s: { file: './s.txt' } },
  }, '/inc'), {
    services: { a: { image: 'x', volumes: ['/inc/data:/data', 'named:/n', '/abs:/abs', { type: 'bind', source: '/up', target: '/up' }], env_file: ['/inc/a.env'], extends: { service: 'b', file: '/inc/base.yaml' } } },
    configs: { c: { file: '/inc/c.txt' }, d: { content: 'x' } }, secrets: { s: { file: '/inc/s.txt' } },
  });
});

test('include: entries join their resources; a name defined twice, or a cycle, is an error', () => {
  const files: Record<string, Record<string, unknown>> = {
    '/app/db/compose.yaml': { services: { db: { image: 'postgres', volumes: ['./init:/docker-entrypoint-initdb.d'] } }, volumes: { pg: {} } },
    '/app/loop.yaml': { include: ['loop.yaml'] },
  };
  const load = (f: string) => structuredClone(files[f]!);
  const out = resolveIncludes({ include: ['db/compose.yaml'], services: { web: { image: 'nginx' } } }, '/app', load);
  assert.equal(out, { services: { web: { image: 'nginx' }, db: { image: 'postgres', volumes: ['/app/db/init:/docker-entrypoint-initdb.d'] } }, volumes: { pg: {} } });
  assert.throws(() => resolveIncludes({ include: [{ path: ['db/compose.yaml'] }], services: { db: { image: 'mysql' } } }, '/app', load), /services\.db is also defined/);
  assert.throws(() => resolveIncludes({ include: ['loop.yaml'] }, '/app', load, ['/app/loop.yaml']), /cycle/);
});

test('berth convert follows include: with the included project\'s own .env', () => {
  const text: Record<string, string> = {
    '/app/compose.yaml': 'include:\n  - ./db/compose.yaml\nservices:\n  web:\n    image: nginx\n    depends_on: [db]\n',
    '/app/db/compose.yaml': 'services:\n  db:\n    image: "postgres:${PG_TAG}"\n',
    '/app/db/.env': 'PG_TAG=16\n',
  };
  const r = convertCompose({ files: ['/app/compose.yaml'], environment: {} }, { readText: (p) => text[p]!, exists: (p) => p in text });
  assert.equal(r.errors, []);
  const containers = (r.documents[0]!.spec as { containers: Array<{ name: string; image: string }> }).containers;
  assert.equal(containers.map((c) => `${c.name}=${c.image}`), ['app-web=nginx', 'app-db=postgres:16']);
});

test.run();
