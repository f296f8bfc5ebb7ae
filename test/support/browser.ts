// Chromium for tests: the bed's Debian chromium (never a downloaded browser) driven by playwright-core.
// Each launch gets its own fresh profile (playwright's launch() makes a temp user-data-dir and
// deletes it on close); closeBrowsers() closes every browser this process launched.
import { chromium, type Browser } from 'playwright-core';
import { bed } from './testbed.js';

/** Flags for a root, display-less, offline machine: no sandbox (root), no GPU, nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const launched = new Set<Browser>();

/** EXTRA: more flags, e.g. `--host-resolver-rules=MAP rebind.test 127.0.0.1` (a DNS-rebinding name). */
export async function launchBrowser(extra: readonly string[] = []): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: bed('BERTH_TEST_CHROMIUM'),
    args: [...CHROMIUM_ARGS, ...extra],
    headless: true,
    timeout: 60_000,
  });
  launched.add(browser);
  browser.on('disconnected', () => launched.delete(browser));
  return browser;
}

/** Close every browser launchBrowser() opened and that is still open. */
export async function closeBrowsers(): Promise<void> {
  await Promise.all([...launched].map((b) => b.close().catch(() => undefined)));
  launched.clear();
}
