import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../../../test/support/wait.js';
import { DirWatcher } from './watcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitFor = (what: string, check: () => boolean, ms = 3000) => until(what, check, ms);

test('a file replaced by rename again and again keeps being seen (what git and editors do)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-watch-'));
  let changes = 0;
  const w = new DirWatcher({ roots: [dir], onChange: () => { changes++; } });
  w.sync();
  try {
    for (let i = 1; i <= 5; i++) {
      const before = changes;
      writeFileSync(join(dir, '.a.yaml.tmp'), `v${i}`);
      renameSync(join(dir, '.a.yaml.tmp'), join(dir, 'a.yaml'));
      await waitFor(`replacement ${i} seen`, () => changes > before);
    }
  } finally { w.close(); rmSync(dir, { recursive: true, force: true }); }
});

test('new subdirectories are watched after sync(); the excluded directory and hidden ones are not', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-watch-'));
  mkdirSync(join(dir, 'state'));
  mkdirSync(join(dir, '.git'));
  let changes = 0;
  const w = new DirWatcher({ roots: [dir], exclude: join(dir, 'state'), onChange: () => { changes++; } });
  w.sync();
  try {
    assert.equal(w.watched(), [dir]);
    mkdirSync(join(dir, 'games'));
    w.sync();
    assert.equal(w.watched(), [dir, join(dir, 'games')]);
    const before = changes;
    writeFileSync(join(dir, 'games', 'box.yaml'), 'x');
    await waitFor('nested write seen', () => changes > before);
    rmSync(join(dir, 'games'), { recursive: true });
    w.sync();
    assert.equal(w.watched(), [dir]);
  } finally { w.close(); rmSync(dir, { recursive: true, force: true }); }
});

test.run();
