// The bed's GitOps health judges (test/env/gitops.sh): kstatus, the Argo CD Lua runner and the
// Flux CEL evaluator. Their paths come from this checkout's own `testbed.sh env` (the shared
// env.sh may have been written by a checkout whose bed predates the component); `up gitops` first,
// which builds them if the cache lacks them and is a no-op otherwise.
import { join } from 'node:path';
import { run } from './kube.js';
import { repoRoot } from './paths.js';

export interface GitopsTools { kstatus: string; lua: string; cel: string }

let tools: Promise<GitopsTools> | undefined;

export function gitopsTools(): Promise<GitopsTools> {
  tools ??= (async () => {
    const script = join(repoRoot, 'test/env/testbed.sh');
    const up = await run('bash', [script, 'up', 'gitops'], { timeoutMs: 600_000 });
    if (up.code !== 0) throw new Error(`test bed component gitops did not come up:\n${up.stderr}`);
    const env = await run('bash', [script, 'env'], { timeoutMs: 60_000 });
    const get = (name: string) => {
      const m = new RegExp(`^export ${name}=(.+)$`, 'm').exec(env.stdout);
      if (!m) throw new Error(`testbed.sh env does not print ${name}`);
      return m[1]!.trim();
    };
    return { kstatus: get('BERTH_TEST_KSTATUS'), lua: get('BERTH_TEST_GITOPS_LUA'), cel: get('BERTH_TEST_GITOPS_CEL') };
  })();
  return tools;
}
