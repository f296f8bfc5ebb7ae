// Running Berth itself from tests: the real `berth` command, and the CRDs installed into the bed's
// real apiserver.
import { join } from 'node:path';
import { kubectl, run, type RunResult } from './kube.js';
import { repoRoot } from './paths.js';

/** `berth <args>` through bin/berth.js, exactly as a user runs it. */
export function berth(args: readonly string[], opts: { cwd?: string; input?: string } = {}): Promise<RunResult> {
  return run(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { ...opts, timeoutMs: 60_000 });
}

let installed: Promise<void> | undefined;

/** Apply crds/ to the apiserver (server-side, idempotent) and wait until both are Established. */
export function installCrds(): Promise<void> {
  installed ??= (async () => {
    await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')], { check: true });
    await kubectl(['wait', '--for=condition=Established', '--timeout=60s',
      'crd/containerhosts.berth.dev', 'crd/agenttokens.berth.dev', 'crd/containersets.berth.dev'], { check: true, timeoutMs: 70_000 });
  })();
  return installed;
}
