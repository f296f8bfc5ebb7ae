// Smoke test of the bed's `browser` component: Debian's chromium driven by playwright-core renders a
// page from a local node:http server, runs its script, and a click round-trips to the server.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { closeBrowsers, launchBrowser } from '../support/browser.js';

const token = randomBytes(6).toString('hex');
let clicks = 0;

const page = `<!doctype html>
<html><head><title>berth browser smoke</title></head>
<body>
  <h1><span id="title">server says ${token}</span></h1>
  <p id="status">waiting</p>
  <button id="go">ask the server</button>
  <script>
    document.getElementById('status').textContent = 'script ran';
    document.getElementById('go').addEventListener('click', async () => {
      const res = await fetch('/api/click', { method: 'POST' });
      document.getElementById('status').textContent = 'clicked: ' + await res.text();
    });
  </script>
</body></html>`;

let server: Server;
let base = '';

test.before(async () => {
  server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    } else if (req.method === 'POST' && req.url === '/api/click') {
      clicks += 1;
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`${token}#${clicks}`);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(async () => {
  await closeBrowsers();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test('chromium renders a local page, runs its script, and a click reaches the server', async () => {
  const browser = await launchBrowser();
  const p = await browser.newPage();
  await p.goto(base, { timeout: 30_000 });
  assert.is(await p.title(), 'berth browser smoke');
  assert.is(await p.textContent('#title'), `server says ${token}`);
  assert.is(await p.textContent('#status'), 'script ran');

  await p.click('#go');
  // A string, not a function: tsconfig has no DOM lib, and this runs in the page anyway.
  await p.waitForFunction(`document.getElementById('status').textContent.startsWith('clicked')`, undefined, { timeout: 10_000 });
  assert.is(await p.textContent('#status'), `clicked: ${token}#1`);
  assert.is(clicks, 1);

  // An inline span is as wide as its glyphs: proves text is really laid out with a font.
  const width = (await p.locator('#title').boundingBox())?.width ?? 0;
  assert.ok(width > 50, `title rendered ${width}px wide`);
  await browser.close();
});

test.run();
