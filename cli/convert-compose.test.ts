// `berth convert compose` as a command: exit codes, stdout/stderr, -o FILE and -o DIR, and the
// written output accepted by the real `berth validate` command.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runConvert } from './convert-compose.js';
import { main } from './berth.js';
import { runValidate } from './validate.js';
import { UsageError } from './usage.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-convert-'));
const compose = join(dir, 'compose.yaml');
writeFileSync(compose, `name: pair
services:
  server:
    image: busybox:1.36
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    configs: [{ source: page, target: /www/index.html }]
    healthcheck: { test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"], interval: 2s }
  client:
    image: busybox:1.36
    command: sh -c 'wget -q -O- http://server:8080/ && sleep 3600'
    depends_on: { server: { condition: service_healthy } }
    build: ./client
configs:
  page: { content: "hello from berth" }
`);

function run(argv: string[]): { code: number; stdout: string; stderr: string[] } {
  let stdout = '';
  const stderr: string[] = [];
  const code = runConvert(argv, (t) => { stdout += t; }, (l) => stderr.push(l));
  return { code, stdout, stderr };
}

test('converts to stdout (exit 0), warnings on stderr naming service and field', () => {
  const r = run(['compose', compose, '--host', 'edge-1', '--namespace', 'apps']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /kind: ContainerHost\nmetadata:\n {2}name: edge-1\n {2}namespace: apps/);
  assert.match(r.stdout, /---\napiVersion: v1\nkind: ConfigMap/);
  assert.match(r.stdout, /^# Converted by 'berth convert compose .*compose\.yaml'\.\n(# warning: .*\n)*# warning: service client: build: not used.*\n(# warning: .*\n)*apiVersion: berth\.dev/);
  assert.ok(r.stderr.includes('warning: service client: build: not used: Berth runs the image busybox:1.36 and does not build it (push it to a registry the host can pull from)'), r.stderr.join('\n'));
  assert.match(r.stderr.at(-1)!, /converted 2 services with \d+ warnings?/);
});

test('-o FILE and -o DIR/ write what `berth validate` accepts', () => {
  const file = join(dir, 'out.yaml');
  assert.is(run(['compose', compose, '-o', file]).code, 0);
  const lines: string[] = [];
  assert.is(runValidate([file], (l) => lines.push(l)), 0, lines.join('\n'));
  assert.match(lines.at(-1)!, /2 documents: 1 valid, 0 invalid, 1 skipped/);
  const outDir = join(dir, 'manifests/');
  assert.is(run(['compose', compose, '-o', outDir]).code, 0);
  assert.equal(readdirSync(outDir).sort(), ['pair-config.configmap.yaml', 'pair.yaml']);
  assert.match(readFileSync(join(outDir, 'pair.yaml'), 'utf8'), /dependsOn:\n\s+- name: pair-server\n\s+condition: Healthy/);
  assert.is(run(['compose', compose, '--agent-token', '-o', join(dir, 'with-token/')]).code, 0);
  assert.equal(readdirSync(join(dir, 'with-token')).sort(), ['pair-config.configmap.yaml', 'pair.agenttoken.yaml', 'pair.yaml']);
  assert.match(readFileSync(join(dir, 'with-token/pair.agenttoken.yaml'), 'utf8'), /kind: AgentToken\nmetadata:\n {2}name: pair\nspec:\n {2}hostRef:\n {4}name: pair/);
  const tokenLines: string[] = [];
  assert.is(runValidate([join(dir, 'with-token')], (l) => tokenLines.push(l)), 0, tokenLines.join('\n'));
  assert.match(tokenLines.at(-1)!, /3 documents: 2 valid, 0 invalid, 1 skipped/);
  // The app's directory with its compose file beside the manifests validates too: compose files
  // in directories are not manifests.
  writeFileSync(join(dir, 'with-token/docker-compose.override.yml'), 'services: {}\n');
  writeFileSync(join(dir, 'with-token/compose.yaml'), readFileSync(compose));
  assert.is(runValidate([join(dir, 'with-token')], () => undefined), 0);
  assert.is(runValidate([join(dir, 'with-token/compose.yaml')], () => undefined), 1, 'named explicitly, it is read (and is no manifest)');
  assert.is(runValidate([outDir], () => undefined), 0);
});

test('exit 1 when nothing converts or the file is not valid compose; 2 for usage', () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'services:\n  a:\n    build: .\n');
  const r = run(['compose', bad]);
  assert.is(r.code, 1);
  assert.equal(r.stdout, '');
  assert.ok(r.stderr.some((l) => /^error: no service could be converted/.test(l)));
  writeFileSync(bad, 'services:\n  a:\n    image: x\n    prots: [80]\n');
  assert.is(run(['compose', bad]).code, 1);
  assert.throws(() => run(['compose', join(dir, 'missing.yaml')]), (e: Error) => e instanceof UsageError && /no such file/.test(e.message));
  assert.throws(() => run(['kube', compose]), (e: Error) => e instanceof UsageError && /only: compose/.test(e.message));
  assert.throws(() => run([]), (e: Error) => e instanceof UsageError && /berth convert compose FILE/.test(e.message));
  assert.is(run(['compose', '--help']).code, 0);
});

test('`berth convert` is dispatched by the berth command (usage errors exit 2)', async () => {
  const errors: string[] = [];
  const original = console.error;
  console.error = (m: string) => { errors.push(m); };
  try { assert.is(await main(['convert', 'compose', join(dir, 'missing.yaml')]), 2); } finally { console.error = original; }
  assert.match(errors.join('\n'), /berth convert: no such file/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
