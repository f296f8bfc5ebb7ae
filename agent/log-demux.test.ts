import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DemuxError, DockerDemuxer, MAX_DOCKER_FRAME_BYTES } from './log-demux.js';

const frame = (type: number, text: string): Buffer => {
  const payload = Buffer.from(text);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
};
const texts = (d: DockerDemuxer, chunk: Buffer) => d.push(chunk).map((f) => `${f.s}:${f.payload.toString()}`);

test('several frames in one chunk, stdout and stderr told apart', () => {
  const d = new DockerDemuxer();
  assert.equal(texts(d, Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n'), frame(1, '')])), ['out:a\n', 'err:b\n', 'out:']);
  assert.is(d.buffered, 0);
});

test('a frame split at every possible byte, header included, comes out whole and once', () => {
  const all = Buffer.concat([frame(1, 'hello world\n'), frame(2, 'über\n')]);
  for (let cut = 1; cut < all.length; cut++) {
    const d = new DockerDemuxer();
    const got = [...texts(d, all.subarray(0, cut)), ...texts(d, all.subarray(cut))];
    assert.equal(got, ['out:hello world\n', 'err:über\n'], `cut at ${cut}`);
  }
});

test('byte by byte', () => {
  const all = Buffer.concat([frame(2, 'x'), frame(1, 'yz\n')]);
  const d = new DockerDemuxer();
  const got: string[] = [];
  for (const b of all) got.push(...texts(d, Buffer.from([b])));
  assert.equal(got, ['err:x', 'out:yz\n']);
});

test('a truncated stream leaves bytes buffered (the streamer reports it)', () => {
  const d = new DockerDemuxer();
  assert.equal(texts(d, frame(1, 'abcdef').subarray(0, 11)), []);
  assert.is(d.buffered, 11);
});

test('a raw (TTY) stream or garbage is refused with a clear error, not misread', () => {
  assert.throws(() => new DockerDemuxer().push(Buffer.from('2026-01-01T00:00:00Z hello\n')), (e: unknown) => e instanceof DemuxError && /not a Docker log frame header/.test((e as Error).message));
  const huge = Buffer.alloc(8);
  huge[0] = 1;
  huge.writeUInt32BE(MAX_DOCKER_FRAME_BYTES + 1, 4);
  assert.throws(() => new DockerDemuxer().push(huge), /exceeds/);
});

test.run();
