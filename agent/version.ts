// The agent's version, as reported in its hello frame. The agent's bundle has it built in (esbuild
// `define`, test/tools/agent-bundle.ts): the bundle ships without package.json, so reading it would
// fail there. From the compiled tree it is package.json's, found by walking up from this module
// (the agent never imports controller/: test/architecture/boundaries.test.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

declare const __BERTH_AGENT_VERSION__: string | undefined;

export async function agentVersion(): Promise<string> {
  if (typeof __BERTH_AGENT_VERSION__ === 'string') return __BERTH_AGENT_VERSION__;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try { return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown'); } catch { return 'unknown'; }
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
