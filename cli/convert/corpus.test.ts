// The corpus: compose files of public projects (test/fixtures/compose/*, each with a NOTICE naming
// its source and licence) convert with exactly the expected warnings, and what comes out passes
// the real `berth validate` checks (controller/api: the CRD schema and the CEL twins).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stringify } from 'yaml';
import { checkDocument } from '../../controller/api/check.js';
import { parseManifestText } from '../../controller/api/manifests.js';
import { ResourceValidator } from '../../controller/api/validate.js';
import { repoRoot } from '../../test/support/paths.js';
import { convertCompose } from './convert.js';

const CORPUS = join(repoRoot, 'test/fixtures/compose');
const validator = new ResourceValidator();
const io = { readText: (p: string) => readFileSync(p, 'utf8'), exists: existsSync };

interface Case { files: string[]; profiles?: string[]; documents: string[]; containers: string[]; networks: string[]; policy: string[]; warnings: string[] }
type Doc = { kind: string; spec: { containers: Array<{ name: string }>; networks?: Array<{ name: string }>; policy: Record<string, unknown> } };

const projects = readdirSync(CORPUS).filter((n) => existsSync(join(CORPUS, n, 'expect.json')));

test('the corpus has its projects, each with a NOTICE naming source and licence', () => {
  assert.ok(projects.length >= 9, `found ${projects.length}`);
  for (const p of projects) assert.match(readFileSync(join(CORPUS, p, 'NOTICE'), 'utf8'), /Source: .*(licensed|licence|MIT|Apache|CC0)/s, p);
});

for (const project of projects) {
  const { cases } = JSON.parse(readFileSync(join(CORPUS, project, 'expect.json'), 'utf8')) as { cases: Case[] };
  for (const c of cases) {
    test(`${project}${c.profiles ? ` --profile ${c.profiles.join(',')}` : ''}: converts with the expected warnings and passes berth validate`, () => {
      const r = convertCompose({ files: c.files.map((f) => join(CORPUS, project, f)), profiles: c.profiles, environment: {} }, io);
      assert.equal(r.errors, []);
      const host = r.documents[0] as unknown as Doc;
      assert.equal(r.documents.map((d) => d.kind), c.documents);
      assert.equal(host.spec.containers.map((x) => x.name), c.containers);
      assert.equal((host.spec.networks ?? []).map((n) => n.name), c.networks);
      assert.equal(Object.keys(host.spec.policy), c.policy);
      assert.equal([...new Set(r.warnings.map((w) => w.where))].sort(), c.warnings, r.warnings.map((w) => `${w.where}: ${w.message}`).join('\n'));
      // Through YAML text, as a user would feed it to `berth validate`.
      const reports = parseManifestText(r.documents.map((d) => stringify(d)).join('---\n'), `${project}.yaml`).map((d) => checkDocument(d, validator));
      assert.equal(reports.filter((x) => x.status === 'invalid').map((x) => x.issues), []);
      assert.is(reports.filter((x) => x.status === 'valid').length, 1);
    });
  }
}

test('secret values from files are never written into the output', () => {
  const r = convertCompose({ files: [join(CORPUS, 'awesome-nginx-golang-mysql/compose.yaml')], environment: {} }, io);
  const text = JSON.stringify(r.documents);
  assert.not.match(text, /not-a-real-password/);
  assert.match(text, /"secret":"awesome-nginx-golang-mysql-secrets"/);
  assert.ok(r.warnings.some((w) => w.where === 'secrets' && /kubectl create secret generic awesome-nginx-golang-mysql-secrets --from-file=db-password=/.test(w.message)));
});

test('the Compose Specification\'s configs/secrets examples: content interpolated, octal modes as compose reads them, no secret value written', () => {
  const r = convertCompose({ files: [join(CORPUS, 'compose-spec-configs-secrets/compose.yaml')], environment: { SERVER_KEY: 'sekrit-key' } }, io);
  const text = JSON.stringify(r.documents);
  assert.not.match(text, /not-a-real-certificate|sekrit-key/);
  assert.equal((r.documents[1] as { data: Record<string, string> }).data.app_config, 'debug=true\nspring.application.admin.enabled=true\nspring.application.name=specdemo\n');
  assert.match(text, /\{"key":"server-key","path":"server.key","mode":256\}/);
});

test('examples/compose converts as its header says, with its one warning, and validates', () => {
  const r = convertCompose({ files: [join(repoRoot, 'examples/compose/compose.yaml')], environment: {} }, io);
  assert.equal(r.errors, []);
  assert.equal(r.warnings.map((w) => w.where), ['service web: configs[0]']);
  assert.equal(r.documents.map((d) => d.kind), ['ContainerHost', 'ConfigMap']);
  assert.equal(validator.validate(r.documents[0]).issues, []);
  const client = (r.documents[0]!.spec as { containers: Array<{ name: string; dependsOn?: unknown }> }).containers[1]!;
  assert.equal(client, { ...client, name: 'compose-demo-client', dependsOn: [{ name: 'compose-demo-web', condition: 'Healthy' }] });
});

test('.env interpolation, env_file and profiles in the Docker docs example', () => {
  const r = convertCompose({ files: [join(CORPUS, 'docker-docs-profiles/compose.yaml')], profiles: ['debug'], environment: { DEBUG: 'true' } }, io);
  const host = r.documents[0] as unknown as { spec: { containers: Array<{ name: string; image: string; env?: Array<{ name: string; value: string }>; dependsOn?: unknown }> } };
  const backend = host.spec.containers.find((x) => x.name === 'docker-docs-profiles-backend')!;
  assert.is(backend.image, 'backend:v1.5');
  assert.equal(backend.env, [{ name: 'NODE_ENV', value: 'production' }, { name: 'API_TOKEN', value: 'change-me' }, { name: 'DEBUG', value: 'true' }, { name: 'GREETING', value: '' }]);
  assert.equal(host.spec.containers.find((x) => x.name === 'docker-docs-profiles-phpmyadmin')!.dependsOn, [{ name: 'docker-docs-profiles-db', condition: 'Started' }]);
});

test.run();
