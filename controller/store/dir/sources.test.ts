import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ResourceValidator } from '../../api/validate.js';
import { canonicalJson } from '../../lib/canonical-json.js';
import { diffResources, resolveSources, scanManifestText, type FileScan, type SourceResource } from './sources.js';

const validator = new ResourceValidator();

function res(file: string, name: string, content = 'x', kind: SourceResource['kind'] = 'ContainerHost', index = 1): SourceResource {
  return { id: `${kind}/default/${name}`, kind, namespace: 'default', name, file, index, line: 1, object: {}, content };
}
const ok = (...resources: SourceResource[]): FileScan => ({ state: 'ok', resources });
const broken: FileScan = { state: 'broken', issues: [{ line: 3, message: 'bad' }] };

test('scan: hosts, tokens and secrets; defaults and namespace default; other kinds and status ignored', () => {
  const text = [
    'apiVersion: berth.dev/v1alpha1', 'kind: ContainerHost', 'metadata: { name: a, labels: { team: x } }',
    'spec: { containers: [{ name: web, image: nginx }] }', 'status: { ready: "9/9" }',
    '---', 'apiVersion: v1', 'kind: Namespace', 'metadata: { name: games }',
    '---', 'apiVersion: v1', 'kind: Secret', 'metadata: { name: s, namespace: games }', 'data: { a: aGk= }', 'stringData: { b: yo }',
    '---', 'apiVersion: berth.dev/v1alpha1', 'kind: AgentToken', 'metadata: { name: a, uid: not-mine }', 'spec: { hostRef: { name: a } }',
  ].join('\n');
  const scan = scanManifestText(text, 'f.yaml', validator);
  assert.is(scan.state, 'ok');
  if (scan.state !== 'ok') return;
  assert.equal(scan.resources.map((r) => r.id), ['ContainerHost/default/a', 'Secret/games/s', 'AgentToken/default/a']);
  const host = scan.resources[0]!.object as Record<string, any>;
  assert.is(host.status, undefined, 'status from files is ignored');
  assert.equal(host.metadata, { name: 'a', namespace: 'default', labels: { team: 'x' }, annotations: undefined });
  assert.is(host.spec.containers[0].state, 'Running');
  assert.equal(scan.resources[1]!.object, { type: 'Opaque', data: { a: 'aGk=', b: Buffer.from('yo').toString('base64') } });
  assert.is((scan.resources[2]!.object.metadata as Record<string, unknown>).uid, undefined, 'server-set metadata is ignored');
  assert.is(scan.resources[0]!.line, 3);
});

test('scan: one bad document breaks the whole file, with lines', () => {
  const text = 'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: a }\nspec: {}\n---\n' +
    'apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: b }\nspec:\n  removalPolicy: Sometimes\n';
  const scan = scanManifestText(text, 'f.yaml', validator);
  assert.equal(scan, { state: 'broken', issues: [{ line: 10, message: 'ContainerHost b (document 2): spec.removalPolicy: must be one of: Delete, Orphan' }] });
  const yaml = scanManifestText('apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n   bad: [\n', 'f.yaml', validator);
  assert.is(yaml.state, 'broken');
  if (yaml.state === 'broken') assert.match(yaml.issues[0]!.message, /^document 1: YAML: /);
});

test('scan: a Secret with bad base64 is an error that never shows the value', () => {
  const scan = scanManifestText('apiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata:\n  k: "s3cr3t!!"\n', 'f.yaml', validator);
  assert.equal(scan, { state: 'broken', issues: [{ line: 5, message: 'Secret s (document 1): data.k: must be base64-encoded' }] });
});

test('scan: v1 ConfigMaps (data plain, binaryData base64) are resources; a bad key is an error naming the field', () => {
  const scan = scanManifestText('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: site }\ndata: { index.html: "<h1>hi</h1>" }\nbinaryData: { logo: AAEC }\n', 'f.yaml', validator);
  assert.is(scan.state, 'ok');
  if (scan.state !== 'ok') return;
  assert.equal(scan.resources.map((r) => r.id), ['ConfigMap/default/site']);
  const data = (scan.resources[0]!.object as { data: Record<string, string> }).data;
  assert.is(Buffer.from(data['index.html']!, 'base64').toString(), '<h1>hi</h1>');
  assert.equal([...Buffer.from(data.logo!, 'base64')], [0, 1, 2]);
  const bad = scanManifestText('apiVersion: v1\nkind: ConfigMap\nmetadata: { name: site }\nbinaryData:\n  logo: "not base64!"\n', 'f.yaml', validator);
  assert.equal(bad, { state: 'broken', issues: [{ line: 5, message: 'ConfigMap site (document 1): binaryData.logo: must be base64-encoded' }] });
});

test('canonical JSON ignores key order', () => {
  assert.is(canonicalJson({ b: 1, a: { d: [1, { y: 1, x: 2 }], c: undefined } }), canonicalJson({ a: { d: [1, { x: 2, y: 1 }] }, b: 1 }));
});

test('resolve: broken and unavailable files keep their last good resources; missing files are gone', () => {
  const previous = new Map([['a.yaml', [res('a.yaml', 'a')]], ['b.yaml', [res('b.yaml', 'b')]], ['c.yaml', [res('c.yaml', 'c')]], ['d.yaml', [res('d.yaml', 'd')]]]);
  const out = resolveSources(previous, new Map<string, FileScan>([
    ['a.yaml', ok(res('a.yaml', 'a', 'new'))], ['b.yaml', broken], ['d.yaml', { state: 'unavailable' }], ['e.yaml', broken],
  ]));
  assert.equal([...out.desired.keys()], ['ContainerHost/default/a', 'ContainerHost/default/b', 'ContainerHost/default/d']);
  assert.is(out.desired.get('ContainerHost/default/a')!.content, 'new');
  assert.equal([...out.lastGood.keys()], ['a.yaml', 'b.yaml', 'd.yaml', 'e.yaml']);
  assert.equal(out.lastGood.get('e.yaml'), [], 'a file broken since its first sight has nothing to keep');
  assert.equal(out.problems, [{ source: 'b.yaml', line: 3, message: 'bad' }, { source: 'e.yaml', line: 3, message: 'bad' }]);
});

test('resolve: duplicates — the first file in sorted order wins, the later one is reported', () => {
  const out = resolveSources(new Map(), new Map([['z.yaml', ok(res('z.yaml', 'a', 'z'))], ['m.yaml', ok(res('m.yaml', 'a', 'm'))]]));
  assert.is(out.desired.get('ContainerHost/default/a')!.content, 'm');
  assert.is(out.problems.length, 1);
  assert.is(out.problems[0]!.source, 'z.yaml');
  assert.match(out.problems[0]!.message, 'already defined in m.yaml');
});

test('resolve: a broken first file still wins a duplicate with its last good version', () => {
  const out = resolveSources(new Map([['a.yaml', [res('a.yaml', 'x', 'old')]]]), new Map([['a.yaml', broken], ['b.yaml', ok(res('b.yaml', 'x', 'b'))]]));
  assert.is(out.desired.get('ContainerHost/default/x')!.content, 'old');
});

test('diff: added, changed, unchanged; removals need a confirming scan', () => {
  const current = new Map([['ContainerHost/default/a', res('a.yaml', 'a', '1')], ['ContainerHost/default/b', res('a.yaml', 'b', '1')], ['ContainerHost/default/c', res('a.yaml', 'c')]]);
  const desired = new Map([['ContainerHost/default/a', res('a.yaml', 'a', '2')], ['ContainerHost/default/c', res('a.yaml', 'c')], ['ContainerHost/default/d', res('a.yaml', 'd')]]);
  const first = diffResources(current, desired);
  assert.equal(first.upserted.map((r) => r.name), ['a', 'd']);
  assert.equal(first.removed, []);
  assert.equal([...first.pending], ['ContainerHost/default/b']);
  assert.ok(first.next.has('ContainerHost/default/b'), 'kept until confirmed');
  const second = diffResources(first.next, desired, first.pending);
  assert.equal(second.upserted, []);
  assert.equal(second.removed, ['ContainerHost/default/b']);
  assert.is(second.pending.size, 0);
  assert.not.ok(second.next.has('ContainerHost/default/b'));
  assert.equal(diffResources(current, desired, new Set(), false).removed, ['ContainerHost/default/b']);
});

test('diff: a resource that comes back before confirmation is never removed', () => {
  const a = res('a.yaml', 'a');
  const first = diffResources(new Map([[a.id, a]]), new Map());
  const second = diffResources(first.next, new Map([[a.id, a]]), first.pending);
  assert.equal(second.removed, []);
  assert.equal(second.upserted, []);
  assert.is(second.pending.size, 0);
});

test('broken file → no change at all: resolve + diff keep everything as it was', () => {
  const a = res('a.yaml', 'a');
  const held = new Map([[a.id, a]]);
  const out = resolveSources(new Map([['a.yaml', [a]]]), new Map([['a.yaml', broken]]));
  const diff = diffResources(held, out.desired, new Set([a.id]));
  assert.equal(diff.upserted, []);
  assert.equal(diff.removed, []);
  assert.is(diff.pending.size, 0);
});

test.run();
