import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { byName } from './by-name.js';

test('byName sorts by code units, independent of the locale, and keeps equal names together', () => {
  const names = ['web-2', 'Web', 'api', 'web-10', 'api', 'b.x', 'b_x'].map((name) => ({ name }));
  assert.equal(names.sort(byName).map((n) => n.name), ['Web', 'api', 'api', 'b.x', 'b_x', 'web-10', 'web-2']);
});

test.run();
