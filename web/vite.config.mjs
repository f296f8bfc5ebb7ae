// @ts-check
// Builds the status page into dist/web, which the controller serves (controller/http/web.ts).
// No inline script, no data: URIs, no modulepreload polyfill: the page runs under a CSP of
// script-src 'self'; style-src 'self'; img-src 'self' (see web/README.md).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  publicDir: 'public',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
