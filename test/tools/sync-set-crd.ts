// Copies the ContainerHost container schema (crds/containerhosts.yaml spec.containers.items) into
// crds/containersets.yaml spec.template.containers.items, so the two CRDs share one definition of
// a container (CRDs cannot $ref). Run after changing the container schema:
//   npm run build && node dist/test/tools/sync-set-crd.js
// test/api/set-crd.test.ts fails while the copy differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { packageRoot } from '../../controller/package-root.js';

export const HOST_ITEMS = ['spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties', 'containers', 'items'];
export const SET_ITEMS = ['spec', 'versions', 0, 'schema', 'openAPIV3Schema', 'properties', 'spec', 'properties', 'template', 'properties', 'containers', 'items'];

function main(): void {
  const hosts = YAML.parseDocument(readFileSync(join(packageRoot, 'crds/containerhosts.yaml'), 'utf8'));
  const setsFile = join(packageRoot, 'crds/containersets.yaml');
  const sets = YAML.parseDocument(readFileSync(setsFile, 'utf8'));
  const items = hosts.getIn(HOST_ITEMS, true);
  if (!items) throw new Error('crds/containerhosts.yaml: spec.containers.items not found');
  sets.setIn(SET_ITEMS, items);
  writeFileSync(setsFile, sets.toString({ lineWidth: 0 }));
  console.log(`${setsFile}: template.containers.items copied from containerhosts.yaml`);
}
main();
