// Docker's multiplexed log stream (containers without a TTY): each write the engine makes is one
// frame — an 8-byte header [stream type, 0, 0, 0, payload size (uint32 big-endian)] and the payload.
// Type 1 is stdout, 2 stderr (0, stdin, never appears in logs). A frame may arrive split across
// chunks and a chunk may carry many frames, so the partial header/payload is carried over. Pure.
//
// One frame is one log message as the engine stored it (one line, or a ≤16 KiB piece of a longer
// one); with `timestamps=true` every frame starts with its own timestamp, which is why frames are
// handed on whole rather than as a byte stream.

export type StdStream = 'out' | 'err';
export interface DockerFrame { s: StdStream; payload: Buffer }

/** Larger than any message the engine writes (16 KiB + timestamp); a bigger size means a corrupt stream. */
export const MAX_DOCKER_FRAME_BYTES = 1024 * 1024;

export class DemuxError extends Error {
  override readonly name = 'DemuxError';
}

export class DockerDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  /** Complete frames in CHUNK (plus what was carried over). Throws DemuxError on a corrupt stream. */
  push(chunk: Buffer): DockerFrame[] {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: DockerFrame[] = [];
    let at = 0;
    while (buf.length - at >= 8) {
      const type = buf[at]!;
      const size = buf.readUInt32BE(at + 4);
      if ((type !== 1 && type !== 2) || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) {
        throw new DemuxError(`not a Docker log frame header (stream byte ${type}); is the container's TTY setting what the agent thinks?`);
      }
      if (size > MAX_DOCKER_FRAME_BYTES) throw new DemuxError(`Docker log frame of ${size} bytes exceeds ${MAX_DOCKER_FRAME_BYTES}`);
      if (buf.length - at - 8 < size) break;
      // Copy: the payload outlives this chunk (partial lines are kept), and a view would pin it.
      out.push({ s: type === 1 ? 'out' : 'err', payload: Buffer.from(buf.subarray(at + 8, at + 8 + size)) });
      at += 8 + size;
    }
    this.pending = at === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    return out;
  }

  /** Bytes of an incomplete frame still waiting for the rest (at the end of a stream: a truncated frame). */
  get buffered(): number { return this.pending.length; }
}
