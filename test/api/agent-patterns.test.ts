// The agent re-checks some fields with its own copy of the CRD's patterns (protocol/policy.ts: it
// must not import controller/ or read crds/). This proves the copies are the CRD's, character for
// character, so the agent never accepts what admission refuses or refuses what it accepts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { NETWORK_NAME, RELATIVE_FILE_PATH } from '../../protocol/policy.js';
import { repoRoot } from '../support/paths.js';

type Node = { properties?: Record<string, Node>; items?: Node; pattern?: string };
const crd = parse(readFileSync(join(repoRoot, 'crds/containerhosts.yaml'), 'utf8')) as { spec: { versions: Array<{ schema: { openAPIV3Schema: Node } }> } };
const at = (...path: string[]): Node => path.reduce<Node>((n, p) => (p === '[]' ? n.items! : n.properties![p]!), crd.spec.versions[0]!.schema.openAPIV3Schema);
const container = ['spec', 'containers', '[]'];

test("a files item's path: the agent's regex is the CRD's pattern", () => {
  assert.is(RELATIVE_FILE_PATH.source.replace(/\\\//g, '/'), at(...container, 'volumes', '[]', 'files', 'items', '[]', 'path').pattern);
});

test("network names: the agent's regex is the CRD's pattern for network and networks[].name", () => {
  assert.is(NETWORK_NAME.source, at(...container, 'network').pattern);
  assert.is(NETWORK_NAME.source, at(...container, 'networks', '[]', 'name').pattern);
  assert.is(NETWORK_NAME.source, at('spec', 'networks', '[]', 'name').pattern);
});

test.run();
