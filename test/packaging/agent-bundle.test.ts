// The agent bundle (test/tools/agent-bundle.ts, `npm run build:agent`): built into a temp dir from
// the compiled tree, it holds only the agent's code — none of the controller's dependencies, no Ajv
// compiler, none of dockerode's build/ssh dependencies — and it runs on its own (no node_modules
// beside it). Its build-time validators decide frames exactly as run-time Ajv does.
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameDecoder } from '../../protocol/codec.js';
import { CONTROLLER_FRAME_SCHEMAS } from '../../protocol/schemas.js';
import { bundledPackages, buildAgentBundle } from '../tools/agent-bundle.js';
import { run } from '../support/kube.js';
import { bed } from '../support/testbed.js';

const out = mkdtempSync(join(tmpdir(), 'berth-agent-bundle-'));
test.after(() => rmSync(out, { recursive: true, force: true }));
const built = buildAgentBundle(out);

test('the bundle holds the agent\'s packages and none of the controller\'s', async () => {
  const { inputs, bytes } = await built;
  const packages = [...bundledPackages(inputs).keys()];
  for (const p of ['ws', 'dockerode', 'docker-modem']) assert.ok(packages.includes(p), `${p} is bundled`);
  // The agent logs with its own JSON-lines logger (agent/logger.ts): pino's stack costs idle RSS.
  for (const p of ['pino', 'sonic-boom', 'thread-stream']) assert.not.ok(packages.includes(p), `${p} must not be in the agent bundle`);
  for (const p of ['@kubernetes/client-node', 'express', 'prom-client', 'jose', 'ajv-formats', '@grpc/grpc-js', 'protobufjs', 'ssh2', 'cpu-features', 'tar-fs']) {
    assert.not.ok(packages.includes(p), `${p} must not be in the agent bundle`);
  }
  // Of Ajv only its small runtime helpers: the validators were generated at build time.
  assert.equal(inputs.filter((p) => p.includes('node_modules/ajv/')).filter((p) => !p.includes('/ajv/dist/runtime/')), []);
  assert.not.ok(inputs.some((p) => p.includes('dist/controller/') && !p.endsWith('controller/version.js') && !p.endsWith('controller/package-root.js')), 'no controller module');
  assert.ok(bytes < 2 * 2 ** 20, `the bundle is ${bytes} bytes`);
});

test('the bundle runs alone: --help, and a usage error exits 2 with berth agent\'s message', async () => {
  const { file } = await built;
  // Copied away from the repository, so nothing can be resolved from node_modules.
  const alone = mkdtempSync(join(tmpdir(), 'berth-agent-alone-'));
  try {
    const copy = join(alone, 'berth-agent.mjs');
    writeFileSync(copy, await import('node:fs/promises').then((fs) => fs.readFile(file)));
    const help = await run(process.execPath, [copy, '--help']);
    assert.is(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: berth agent --url URL/);
    const missing = await run(process.execPath, [copy], { env: { PATH: process.env.PATH ?? '' } });
    assert.is(missing.code, 2);
    assert.match(missing.stderr, /the controller URL is missing/);
  } finally { rmSync(alone, { recursive: true, force: true }); }
});

test('the bundle runs under the agent image\'s flags on Node 20, 22 and 24 (--lite-mode: no WebAssembly, so no fetch())', async () => {
  const { file } = await built;
  const flags = ['--max-semi-space-size=1', '--lite-mode'];
  for (const node of [process.execPath, bed('BERTH_TEST_NODE_22'), bed('BERTH_TEST_NODE_24')]) {
    const help = await run(node, [...flags, file, '--help']);
    assert.is(help.code, 0, `${node}: ${help.stderr}`);
    assert.match(help.stdout, /Usage: berth agent --url URL/);
  }
  // Under --lite-mode Node's fetch() fails at its first call (undici parses HTTP in WebAssembly):
  // the agent's code must not use it (node:http, as ws and docker-modem use, is native).
  const source = await import('node:fs/promises').then((fs) => fs.readFile(file, 'utf8'));
  assert.not.match(source, /(?<![\w$.])fetch\(|globalThis\.fetch|WebAssembly\./, 'the agent bundle calls fetch() or WebAssembly');
  // Collation, locale formatting and Unicode normalization page ICU's data into the agent's RSS for
  // good (a localeCompare() sort of the inventory cost ~2 MB of the idle agent): agent/by-name.ts sorts.
  assert.not.match(source, /\.localeCompare\(|\.toLocale[A-Za-z]*\(|\bIntl\.|\.normalize\(/, 'the agent bundle uses ICU (collation, locale formatting or normalization)');
  // The probe must reach a listening socket: Node 24 loads undici's WebAssembly parser only once a
  // connection is up (Node 20 and 22 at fetch's first call), and refuses port 9 before connecting.
  const listener = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = listener.address() as AddressInfo;
    for (const node of [process.execPath, bed('BERTH_TEST_NODE_22'), bed('BERTH_TEST_NODE_24')]) {
      const probe = await run(node, [...flags, '-e', `fetch("http://127.0.0.1:${port}").catch((e) => { console.log(String(e.cause ?? e)); })`]);
      assert.match(probe.stdout + probe.stderr, /WebAssembly is not defined/, `${node}: the flags really turn WebAssembly off (else this check guards nothing)`);
    }
  } finally { listener.close(); }
});

test('the build-time validators accept and reject controller frames as run-time Ajv does', async () => {
  await built;
  const mod = await import(join(out, 'frame-validators.generated.mjs')) as { compileFrameValidators: (s: Record<string, object>) => Map<string, (v: unknown) => boolean> };
  const generated = mod.compileFrameValidators(CONTROLLER_FRAME_SCHEMAS);
  const runtime = new FrameDecoder<{ type: string }>(CONTROLLER_FRAME_SCHEMAS);
  assert.equal([...generated.keys()].sort(), Object.keys(CONTROLLER_FRAME_SCHEMAS).sort());
  const samples: unknown[] = [
    { type: 'remove', id: 'r1', name: 'web' }, { type: 'remove', id: 'r1' }, { type: 'remove', id: 'r1', name: 'web', extra: 1 },
    { type: 'logs', stream: 's1', name: 'web', tail: 10, follow: true }, { type: 'logs', stream: 's1', name: 'web', tail: -1, follow: true },
    { type: 'logsCancel', stream: 's1' }, { type: 'execCredit', id: 'e1', bytes: 0 }, { type: 'execResize', id: 'e1', rows: 24, cols: 80 },
    { type: 'error', code: 'bad', message: 'x' }, { type: 'error', code: 'bad', message: 'x'.repeat(9000) },
    { type: 'welcome', protocolVersion: 1, resyncSeconds: 300, host: { namespace: 'n', name: 'h', uid: 'u' } },
  ];
  const outcomes = new Set<boolean>();
  for (const s of samples) {
    const type = (s as { type: string }).type;
    const v = generated.get(type);
    assert.ok(v, type);
    const ok = v(s);
    outcomes.add(ok);
    assert.is(ok, runtime.decode(JSON.stringify(s)).ok, JSON.stringify(s).slice(0, 200));
  }
  assert.equal([...outcomes].sort(), [false, true], 'the samples include valid and invalid frames');
  // A schema the bundle was not built with is refused at start, never passed silently.
  assert.throws(() => mod.compileFrameValidators({ ping: { type: 'object', properties: { changed: { const: 1 } } } }), /no prebuilt validator for frame "ping"/);
});

test.run();
