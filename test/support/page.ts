// Helpers for status-page tests in Chromium: a page that records CSP violations and console errors,
// text of the whole page including every (open) shadow root, and screenshots under test-results/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { repoRoot } from './paths.js';

export const SCREENSHOTS = join(repoRoot, 'test-results', 'web');

export interface WatchedPage { page: Page; cspViolations: () => Promise<string[]>; errors: string[] }

export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => { errors.push(String(e)); });
  // Browser-side code is written as strings: the tests compile without the DOM library.
  await page.addInitScript(`window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => { window.__csp.push(e.violatedDirective + ' ' + e.blockedURI); });`);
  return { page, errors, cspViolations: () => page.evaluate<string[]>('window.__csp') };
}

/** All text and attribute values of the document, descending into shadow roots, plus input values. */
export function deepContent(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const out = [document.documentElement.outerHTML];
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        for (const a of el.attributes) out.push(a.value);
        if (el instanceof HTMLInputElement) out.push(el.value);
        if (el.shadowRoot) { out.push(el.shadowRoot.innerHTML); walk(el.shadowRoot); }
      }
    };
    walk(document);
    out.push(JSON.stringify({ ...localStorage }), JSON.stringify({ ...sessionStorage }), document.cookie, location.href);
    return out.join('\\n');
  })()`);
}

/** Evaluate a browser-side expression (a string: the tests compile without the DOM library). */
export function inPage<T>(page: Page, expression: string): Promise<T> { return page.evaluate<T>(expression); }

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
