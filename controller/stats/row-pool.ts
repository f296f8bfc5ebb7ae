// Fixed-size rows for the stats history, carved out of a few large chunks shared by every host:
// one row per container holds its ring of packed points (bytes) and its exact newest sample
// (doubles). Why not an array per host or per container: a host's containers come and go (and
// arrive one by one while it converges), and reallocating its arrays at each change left the freed
// copies to the allocator — tens of thousands of ~20 KB buffers whose holes RSS kept. Here a row
// is allocated once, freed rows are reused, and a chunk (≈ 4 MiB, above the allocator's mmap
// threshold) is only added (all are dropped once no row is in use): the memory is the rows in use, rounded up to one chunk, plus rows
// freed and not yet reused — all of it counted by `bytes`.
const CHUNK_BYTES = 4 * 1024 * 1024;
// At most this many rows a chunk: a short window's rows are small, and their latest samples are not.
const MAX_CHUNK_ROWS = 4096;

export class RowPool {
  /** Rows per chunk. */
  readonly rowsPerChunk: number;
  private readonly points: Uint8Array[] = [];
  private readonly latest: Float64Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  constructor(readonly rowBytes: number, readonly latestFields: number) {
    if (!(rowBytes >= 1) || !(latestFields >= 1)) throw new Error(`row pool: a row needs bytes (${rowBytes}) and fields (${latestFields})`);
    this.rowsPerChunk = Math.min(MAX_CHUNK_ROWS, Math.max(1, Math.floor(CHUNK_BYTES / rowBytes)));
  }

  /** A row with every point MISSING (all bits set) and every latest field NaN. */
  alloc(): number {
    let row = this.free.pop();
    if (row === undefined) {
      row = this.next++;
      if (row >= this.points.length * this.rowsPerChunk) {
        this.points.push(new Uint8Array(this.rowsPerChunk * this.rowBytes));
        this.latest.push(new Float64Array(this.rowsPerChunk * this.latestFields));
      }
    }
    this.pointsOf(row).fill(0xff);
    this.latestOf(row).fill(Number.NaN);
    return row;
  }

  /** ROW is free for reuse; when no row is in use any more, the chunks go too. */
  release(row: number): void {
    this.free.push(row);
    if (this.free.length === this.next) { this.free.length = 0; this.next = 0; this.points.length = 0; this.latest.length = 0; }
  }

  /** The chunk holding ROW's points and the offset of its first byte. */
  pointChunk(row: number): Uint8Array { return this.points[Math.floor(row / this.rowsPerChunk)]!; }
  pointOffset(row: number): number { return (row % this.rowsPerChunk) * this.rowBytes; }
  latestChunk(row: number): Float64Array { return this.latest[Math.floor(row / this.rowsPerChunk)]!; }
  latestOffset(row: number): number { return (row % this.rowsPerChunk) * this.latestFields; }

  pointsOf(row: number): Uint8Array { const o = this.pointOffset(row); return this.pointChunk(row).subarray(o, o + this.rowBytes); }
  latestOf(row: number): Float64Array { const o = this.latestOffset(row); return this.latestChunk(row).subarray(o, o + this.latestFields); }

  /** Rows handed out and not released. */
  get inUse(): number { return this.next - this.free.length; }

  /** Bytes of every chunk (the pool's whole memory, free rows included). */
  get bytes(): number {
    let n = 0;
    for (const c of this.points) n += c.byteLength;
    for (const c of this.latest) n += c.byteLength;
    return n;
  }
}
