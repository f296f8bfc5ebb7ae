// The token bucket with a hand-driven clock.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TokenBucket } from './rate-limit.js';

test('a full bucket takes a burst, then asks for a pause as long as the refill', () => {
  const b = new TokenBucket({ framesPerSec: 10, bytesPerSec: 1000, burstSeconds: 1 }, 0);
  for (let i = 0; i < 10; i++) assert.is(b.charge(10, 0), undefined, `frame ${i} is within the burst`);
  assert.equal(b.charge(10, 0), { waitMs: 100, newEpisode: true });
  // A frame buffered while paused lengthens the same episode.
  assert.equal(b.charge(10, 0), { waitMs: 200, newEpisode: false });
});

test('bytes limit on their own; a pause already long enough is not restarted', () => {
  const b = new TokenBucket({ framesPerSec: 1000, bytesPerSec: 1000, burstSeconds: 1 }, 0);
  assert.is(b.charge(1000, 0), undefined);
  assert.equal(b.charge(500, 0), { waitMs: 500, newEpisode: true });
  // 100 ms later an empty frame leaves a 400-byte deficit: the pause until 500 ms covers it.
  assert.is(b.charge(0, 100), undefined);
  assert.equal(b.charge(100, 100), { waitMs: 500, newEpisode: false });
});

test('the bucket refills with time, up to the burst and no further', () => {
  const b = new TokenBucket({ framesPerSec: 2, bytesPerSec: 1e9, burstSeconds: 1 }, 0);
  b.charge(1, 0); b.charge(1, 0);
  assert.ok(b.charge(1, 0)?.newEpisode);
  // A minute later: refilled to 2 frames, not 120.
  assert.is(b.charge(1, 60_000), undefined);
  assert.is(b.charge(1, 60_000), undefined);
  assert.equal(b.charge(1, 60_000), { waitMs: 500, newEpisode: true });
});

test.run();
