// The page feed with a real directory store behind it and a scripted AccessControl: a snapshot
// of only what the viewer may see, the controller's own status writes pushed as changes, nothing
// from namespaces the viewer may not see, a new snapshot when RBAC grants more, `denied` and the
// end of the stream when it revokes everything.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DirectoryStore } from '../store/dir/dir-store.js';
import type { AccessControl } from './access.js';
import { PageFeed } from './page-feed.js';

const root = mkdtempSync(join(tmpdir(), 'berth-events-'));
const host = (ns: string) => `apiVersion: berth.dev/v1alpha1\nkind: ContainerHost\nmetadata: { name: h, namespace: ${ns} }\nspec: { containers: [ { name: c, image: busybox } ] }\n`;
writeFileSync(join(root, 'hosts.yaml'), `${host('a')}---\n${host('b')}`);
const store = new DirectoryStore({ paths: [root], stateDir: join(root, '.state'), logger: pino({ level: 'silent' }) });
/** Namespaces the viewer may see ('*': all); scripted per test. */
let allowed = new Set<string>(['a']);
const access: AccessControl = {
  check: async (_req, what) => (allowed.has('*') || (what.namespace !== undefined && allowed.has(what.namespace))
    ? { allowed: true, user: 'tester' } : { allowed: false, status: 403, message: `tester may not get ${what.resource}` }),
};
const stream = new PageFeed({ store, watch: (l) => store.watchAll(l), access, heartbeatMs: 200, problemsSampleMs: 100 });
let server: Server;
let url = '';

interface Ev { event: string; data: { hosts?: Array<{ metadata: { namespace: string }; status: { ready?: string } }>; message?: string } }

/** Open the stream; events are collected as they arrive. */
async function open(): Promise<{ events: Ev[]; ended: Promise<void>; status: number; close: () => void }> {
  const ac = new AbortController();
  const res = await fetch(`${url}/events`, { signal: ac.signal });
  const events: Ev[] = [];
  const ended = (async () => {
    if (!res.body) return;
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += Buffer.from(chunk).toString('utf8');
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
        }
      }
    } catch { /* aborted */ }
  })();
  return { events, ended, status: res.status, close: () => ac.abort() };
}

const waitFor = async <T>(what: string, f: () => T | undefined, ms = 3000): Promise<T> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 20))) { const v = f(); if (v) return v; }
  throw new Error(`timed out waiting for ${what}`);
};

test.before(async () => {
  await store.start();
  const app = express();
  app.get('/events', stream.handle);
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after(async () => {
  stream.close();
  await new Promise((r) => server.close(r));
  await store.stop();
  rmSync(root, { recursive: true, force: true });
});

test('a snapshot of the visible namespaces, then status writes as changes; other namespaces stay silent', async () => {
  allowed = new Set(['a']);
  const s = await open();
  assert.is(s.status, 200);
  const snap = await waitFor('snapshot', () => s.events.find((e) => e.event === 'snapshot'));
  assert.equal(snap.data.hosts?.map((h) => h.metadata.namespace), ['a']);
  await store.writeHostStatus('b/h', { ready: '0/1' });
  await store.writeHostStatus('a/h', { ready: '1/1' });
  const change = await waitFor('changes', () => s.events.find((e) => e.event === 'changes'));
  assert.equal(change.data.hosts?.map((h) => [h.metadata.namespace, h.status.ready]), [['a', '1/1']]);
  await new Promise((r) => setTimeout(r, 100));
  assert.not.ok(s.events.some((e) => e.event === 'changes' && e.data.hosts?.some((h) => h.metadata.namespace === 'b')), 'nothing from b');
  // RBAC grants b: the next heartbeat re-snapshots.
  allowed = new Set(['a', 'b']);
  const again = await waitFor('second snapshot', () => s.events.filter((e) => e.event === 'snapshot')[1]);
  assert.equal(again.data.hosts?.map((h) => h.metadata.namespace).sort(), ['a', 'b']);
  // Everything revoked: denied, and the stream ends.
  allowed = new Set();
  const denied = await waitFor('denied', () => s.events.find((e) => e.event === 'denied'));
  assert.match(denied.data.message ?? '', /tester may not get containerhosts/);
  await s.ended;
  assert.is(stream.viewerCount, 0);
});

test('a viewer who may see nothing is refused with a plain 403', async () => {
  allowed = new Set();
  const s = await open();
  assert.is(s.status, 403);
  s.close();
});

test.run();
