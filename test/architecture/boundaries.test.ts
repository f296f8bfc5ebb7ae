// The boundaries of DESIGN §2, checked on the sources (not the build), so that they cannot erode
// one convenient import at a time:
//
// 1. Only controller/kube/ imports @kubernetes/client-node. The stores, leader election, the HTTP
//    layer and everything else reach the apiserver through it. The rule is about PRODUCT code:
//    test files (*.test.ts, and everything under test/) may use the client anywhere — they build
//    KubeConfigs and talk to the bed's apiserver to check what the product did.
// 2. agent/, web/ and protocol/ never import from controller/: the agent and the page know the
//    controller only through the wire protocol (protocol/) and the HTTP/WS API. This one holds for
//    their tests too.
//
// "Import" means any module specifier: import/export ... from, import type, side-effect imports,
// dynamic import() and require().
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../support/paths.js';

const KUBE_CLIENT = '@kubernetes/client-node';
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

/** Every module specifier in a source text. */
export function specifiers(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g,   // import x from, export { y } from
    /\bimport\s*['"]([^'"]+)['"]/g,                                               // import 'side-effect'
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,                         // import('x'), require('x')
  ];
  for (const p of patterns) for (const m of text.matchAll(p)) out.push(m[1]!);
  return out;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const rel = (file: string) => relative(repoRoot, file).split(sep).join('/');
const isTest = (file: string) => /\.test\.[cm]?[jt]s$/.test(file);
const PRODUCT_DIRS = ['controller', 'agent', 'protocol', 'cli', 'web/src'];
const product = PRODUCT_DIRS.flatMap((d) => sourceFiles(join(repoRoot, d)));

test('the specifier scanner sees every form of import (else the rules below would pass vacuously)', () => {
  const text = [
    `import { KubeConfig } from '${KUBE_CLIENT}';`, `import type { V1Lease } from "${KUBE_CLIENT}";`,
    `import {\n  a,\n  b,\n} from '${KUBE_CLIENT}';`, `export { c } from '../controller/x.js';`, `import 'side-effect';`,
    `const k = await import('${KUBE_CLIENT}');`, `const r = require('dep');`,
    `// a comment naming ${KUBE_CLIENT} is not an import`,
  ].join('\n');
  assert.equal(specifiers(text).sort(), [KUBE_CLIENT, KUBE_CLIENT, KUBE_CLIENT, KUBE_CLIENT, '../controller/x.js', 'dep', 'side-effect'].sort());
  assert.ok(product.length > 100, `found ${product.length} product sources`);
});

test(`only controller/kube/ imports ${KUBE_CLIENT} (product code; tests may use it anywhere)`, () => {
  const users = product.filter((f) => !isTest(f) && specifiers(readFileSync(f, 'utf8')).some((s) => s === KUBE_CLIENT || s.startsWith(`${KUBE_CLIENT}/`))).map(rel);
  const outside = users.filter((f) => !f.startsWith('controller/kube/'));
  assert.equal(outside, [], `${KUBE_CLIENT} imported outside controller/kube/ — go through controller/kube/ instead:\n  ${outside.join('\n  ')}`);
  assert.ok(users.length > 0, 'controller/kube/ itself imports it (else this test looks in the wrong place)');
});

test('agent/, web/ and protocol/ never import from controller/', () => {
  const controllerDir = join(repoRoot, 'controller') + sep;
  const bad: string[] = [];
  for (const f of product.filter((file) => /^(agent|protocol|web)\//.test(rel(file)))) {
    for (const s of specifiers(readFileSync(f, 'utf8'))) {
      if (s.startsWith('.') && resolve(dirname(f), s).startsWith(controllerDir)) bad.push(`${rel(f)} → ${s}`);
    }
  }
  assert.equal(bad, [], `imports of controller/ from agent/, web/ or protocol/:\n  ${bad.join('\n  ')}`);
});

test.run();
