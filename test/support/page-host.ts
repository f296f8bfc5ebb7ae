// The status-page tests' shared setup: one host served by a real controller and agent (directory
// mode, on the bed's dockerd), Ready, and one Chromium; all stopped and removed after the file.
// Before this, test/web/page, log-tail and stats-charts each wrote the same hooks and the same
// busybox container YAML.
import type { Browser } from 'playwright-core';
import type { Test } from 'uvu';
import type { BerthEnv } from './berth-env.js';
import { closeBrowsers, launchBrowser } from './browser.js';
import { bed } from './testbed.js';

/** One container of a test host: the bed's busybox image, never pulled, stopped in 1 s unless OVER says otherwise. */
export interface TestContainer { name: string; command: string[]; [field: string]: unknown }

/** The `containers:` block of a ContainerHost spec, one JSON (= flow YAML) line per container. */
export function containersYaml(...containers: readonly TestContainer[]): string {
  const line = (c: TestContainer) => `- ${JSON.stringify({ image: bed('BERTH_TEST_IMAGE'), imagePullPolicy: 'IfNotPresent', stopTimeoutSeconds: 1, ...c })}`;
  return `containers:\n${containers.map(line).join('\n')}`;
}

export interface PageHostOptions {
  /** Extra controller flags, e.g. `['--stats-resolution', '2']`. */
  controllerArgs?: string[];
  /** Extra agent environment, e.g. `{ BERTH_STATS_INTERVAL: '2' }`. */
  agentEnv?: NodeJS.ProcessEnv;
}

/**
 * Registers SUITE's before/after hooks: write HOST with SPEC into ENV, start the controller and
 * agent, wait until the host is Ready, launch Chromium. Returns the browser (valid once `before` ran).
 */
export function servePageHost(suite: Test, env: BerthEnv, host: string, spec: string, opts: PageHostOptions = {}): () => Browser {
  let browser: Browser | undefined;
  suite.before(async () => {
    env.write('host.yaml', env.hostYaml(host, spec));
    await env.startController(opts.controllerArgs ?? []);
    await env.startAgent(host, opts.agentEnv ?? {});
    await env.waitReady(host);
    browser = await launchBrowser();
  });
  suite.after(async () => {
    await closeBrowsers();
    await env.cleanup();
  });
  return () => {
    if (!browser) throw new Error('servePageHost: the browser is launched in the suite\'s before hook');
    return browser;
  };
}
