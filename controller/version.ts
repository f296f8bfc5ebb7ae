import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

/** This package's version (package.json), shown by the API and reported in logs. */
export const VERSION: string = (() => {
  try { return String((JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version?: unknown }).version ?? 'unknown'); } catch { return 'unknown'; }
})();
