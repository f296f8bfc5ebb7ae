import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ObservedContainer } from '../../protocol/container.js';
import { capObserved, OBSERVED_MARGIN } from './observed-cap.js';

const c = (name: string): ObservedContainer => ({ name, containerID: name, image: 'i', imageID: 'i', state: 'running', health: 'none', restartCount: 0 });

test('declared containers are always kept; others up to the margin, in name order', () => {
  const reported = [...Array.from({ length: 3000 }, (_, i) => c(`phantom-${String(i).padStart(4, '0')}`)), c('web'), c('db')];
  const { containers, dropped } = capObserved(reported, new Set(['web', 'db', 'missing']));
  assert.is(containers.length, 2 + OBSERVED_MARGIN);
  assert.equal(containers.slice(0, 2).map((x) => x.name), ['web', 'db']);
  assert.is(containers[2]!.name, 'phantom-0000');
  assert.is(dropped, 3000 - OBSERVED_MARGIN);
});

test('a report within the cap is kept whole; duplicate names count once', () => {
  const { containers, dropped } = capObserved([c('a'), c('b'), c('a')], new Set(['a']), 4);
  assert.equal(containers.map((x) => x.name), ['a', 'b']);
  assert.is(dropped, 1);
  assert.is(capObserved([c('a'), c('z')], new Set(), 4).dropped, 0);
});

test.run();
