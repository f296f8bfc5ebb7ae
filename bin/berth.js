#!/usr/bin/env node
// Entry point of the `berth` command. The TypeScript sources compile to dist/ (npm run build).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const compiled = new URL('../dist/cli/berth.js', import.meta.url);
if (!existsSync(fileURLToPath(compiled))) {
  console.error('berth: not built yet — run `npm run build` (or `npm install`, which builds) first');
  process.exit(2);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
