// Serving the status page (web/, built by Vite into dist/web) and the security headers of every
// response. The page is history-routed (/hosts/NS/NAME, /hosts/NS/NAME/containers/C, /tokens,
// /sets, /sets/NS/NAME, /sources), so those paths answer with index.html; hashed assets under /assets are immutable.
//
// Content-Security-Policy — the page runs with no inline script or style at all:
//   script-src 'self'        Vite emits external module scripts only (no inline bootstrap)
//   style-src 'self'         the global theme is an external .css file; Lit's `static styles` are
//                            constructable stylesheets adopted by shadow roots (adoptedStyleSheets),
//                            which style-src does not govern, and positions are set through the
//                            CSSOM (web/src/directives/cssom-style.ts; not Lit's styleMap, whose first render writes a style attribute), which CSP allows — so no 'unsafe-inline'
//   connect-src 'self'       the JSON API, the page feed and the log WebSocket (same origin;
//                            CSP 3 'self' covers ws:/wss: of the same host)
//   require-trusted-types-for 'script'; trusted-types lit-html
//                            the only HTML sink is Lit's template creation, through its own policy
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "require-trusted-types-for 'script'",
  'trusted-types lit-html',
].join('; ');

/** Headers for every response (the JSON API too: a browser must never run or frame anything of ours). */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), usb=(), payment=()');
  next();
}

/** The page's client-side routes: each answers with index.html. */
export const PAGE_ROUTES = ['/', '/hosts', '/hosts/*rest', '/sets', '/sets/*rest', '/tokens', '/sources'];

export function mountWebPage(app: Express, root: string): void {
  const index = join(root, 'index.html');
  app.use('/assets', express.static(join(root, 'assets'), {
    index: false, fallthrough: false, immutable: true, maxAge: '365d', redirect: false,
  }));
  app.use(express.static(root, {
    index: false, redirect: false,
    // Everything outside /assets keeps its name across builds (favicon, index.html): revalidate.
    setHeaders: (res) => { res.setHeader('Cache-Control', 'no-cache'); },
  }));
  const page = (_req: Request, res: Response) => {
    if (!existsSync(index)) {
      res.status(503).type('text/plain').send('the status page is not built: run `npm run build` (the JSON API is at /api/v1/hosts)');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  };
  for (const path of PAGE_ROUTES) app.get(path, page);
}
