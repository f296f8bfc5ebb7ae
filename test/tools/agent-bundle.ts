// Builds the agent's own bundle: dist/agent-bundle/berth-agent.mjs, one file holding the agent and the
// code it runs (ws, dockerode with docker-modem; its own logger, agent/logger.ts) — run with `node berth-agent.mjs [flags]`,
// the same flags as `berth agent`. `npm run build:agent` (after `npm run build`).
//   - entry: dist/cli/agent-main.js (the compiled tree, so the bundle runs what the tests ran);
//   - the frame validators are generated here by Ajv's standalone code (protocol/frame-validators.ts
//     is swapped for them): no Ajv compiler at run time, no schema compilation on start;
//   - dockerode's dependencies for image builds and ssh:// are replaced by agent/bundle/unsupported.cjs;
//   - a metafile (meta.json) says what went in, for bench/agent-footprint and the packaging test.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { build, type Plugin } from 'esbuild';
import { CONTROLLER_FRAME_SCHEMAS } from '../../protocol/schemas.js';
import { repoRoot } from '../support/paths.js';

/** The key a generated validator is found by at run time: frame type + hash of its schema's JSON. */
export function schemaKey(type: string, schema: object): string {
  return `${type}:${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 16)}`;
}

/**
 * ESM source exporting compileFrameValidators(schemas) like protocol/frame-validators.ts, but from
 * validators generated now. A schema with no generated validator (the schemas changed without a
 * rebuild, or a direction the agent does not decode) is an error at start, never a silent pass.
 */
function standaloneValidators(): string {
  const ajv = new Ajv({ allErrors: false, strict: true, code: { source: true, esm: true } });
  const exports: Record<string, string> = {};
  const keys: Record<string, string> = {};
  Object.entries(CONTROLLER_FRAME_SCHEMAS).forEach(([type, schema], i) => {
    const id = `frame${i}`;
    ajv.addSchema(schema as object, id);
    exports[id] = id;
    keys[schemaKey(type, schema as object)] = id;
  });
  // The standalone code require()s Ajv's runtime helpers (ucs2length, equal, ...): made ES imports of
  // their resolved files, so the module loads from anywhere (and esbuild bundles them).
  const resolve = createRequire(join(repoRoot, 'package.json')).resolve;
  const imports: string[] = [];
  const code = standaloneCode(ajv, exports).replace(/require\("([^"]+)"\)/g, (_m, spec: string) => {
    imports.push(`import * as __rt${imports.length} from ${JSON.stringify(resolve(spec))};`);
    return `__rt${imports.length - 1}.default`;
  });
  return `${imports.join('\n')}
${code}
import { createHash as __hash } from 'node:crypto';
const __byKey = { ${Object.entries(keys).map(([k, id]) => `${JSON.stringify(k)}: ${id}`).join(', ')} };
export function compileFrameValidators(schemas) {
  return new Map(Object.entries(schemas).map(([type, schema]) => {
    const key = type + ':' + __hash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 16);
    const v = __byKey[key];
    if (!v) throw new Error('agent bundle: no prebuilt validator for frame "' + type + '" (rebuild with npm run build:agent)');
    return [type, v];
  }));
}
`;
}

// ajv/dist/standalone is CommonJS whose module.exports is the function (Node's default import).
const standaloneCode = standalone as unknown as (ajv: Ajv, refsOrFunc: Record<string, string>) => string;

const STUBBED = ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', 'ssh2', 'cpu-features', 'tar-fs', '@balena/dockerignore'];

/** The bundled packages (from esbuild's inputs), as `name` → its directory. */
export function bundledPackages(inputs: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of inputs) {
    const m = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(p);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** Each bundled package's name, version and license text: the bundle carries their code, so it carries their notices. */
function licenses(inputs: string[]): string {
  const parts = ['Berth agent bundle: third-party packages included in berth-agent.mjs\n'];
  for (const [name, dir] of [...bundledPackages(inputs)].sort(([a], [b]) => a.localeCompare(b))) {
    const abs = join(repoRoot, dir);
    const pkg = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8')) as { version?: string; license?: string };
    const file = readdirSync(abs).find((f) => /^(license|licence|copying)(\.|$)/i.test(f));
    parts.push(`== ${name}@${pkg.version ?? '?'} (${pkg.license ?? 'see text'})\n${file ? readFileSync(join(abs, file), 'utf8').trim() : '(no license file in the package; license field above)'}\n`);
  }
  return parts.join('\n');
}

export async function buildAgentBundle(outDir = join(repoRoot, 'dist/agent-bundle')): Promise<{ file: string; bytes: number; inputs: string[] }> {
  mkdirSync(outDir, { recursive: true });
  const validatorsFile = join(outDir, 'frame-validators.generated.mjs');
  writeFileSync(validatorsFile, standaloneValidators());
  const version = String((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown');
  const swap: Plugin = {
    name: 'berth-agent',
    setup(b) {
      b.onResolve({ filter: /\/frame-validators\.js$/ }, () => ({ path: validatorsFile }));
      const stubs = new RegExp(`^(${STUBBED.map((s) => s.replace(/[/.]/g, '\\$&')).join('|')})(/|$)`);
      b.onResolve({ filter: stubs }, () => ({ path: join(repoRoot, 'agent/bundle/unsupported.cjs') }));
    },
  };
  const file = join(outDir, 'berth-agent.mjs');
  const result = await build({
    entryPoints: [join(repoRoot, 'dist/cli/agent-main.js')],
    outfile: file, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    minifySyntax: true, minifyWhitespace: true, legalComments: 'none', metafile: true, logLevel: 'warning',
    plugins: [swap],
    define: { __BERTH_AGENT_VERSION__: JSON.stringify(version), 'process.env.NODE_ENV': '"production"' },
    // CommonJS dependencies call require() on Node's built-ins: give the ESM bundle one.
    banner: { js: "import { createRequire as __berthRequire } from 'node:module'; const require = __berthRequire(import.meta.url);" },
  });
  writeFileSync(join(outDir, 'meta.json'), JSON.stringify(result.metafile));
  const inputs = Object.keys(result.metafile.inputs);
  writeFileSync(join(outDir, 'berth-agent.licenses.txt'), licenses(inputs));
  return { file, bytes: readFileSync(file).length, inputs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { file, bytes, inputs } = await buildAgentBundle();
  console.error(`agent bundle: ${file} (${(bytes / 1024).toFixed(0)} KiB, ${inputs.length} modules; packages: ${[...bundledPackages(inputs).keys()].sort().join(', ')})`);
}
