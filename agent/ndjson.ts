// Docker's streaming endpoints (/events, /images/create) send newline-delimited JSON, but a chunk
// from the socket may end mid-line or carry several lines. This splitter keeps the partial tail until
// its newline arrives. Pure; a malformed line is reported, never thrown (dockerode's own
// followProgress throws from inside a 'data' handler, which would crash the agent).

export type NdjsonItem = { ok: true; value: unknown } | { ok: false; line: string; error: string };

export class NdjsonSplitter {
  private buffer = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** Lines completed by CHUNK, parsed. A multi-byte character split across chunks is handled. */
  push(chunk: Buffer | string): NdjsonItem[] {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    const out: NdjsonItem[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim() !== '') out.push(parseLine(line));
    }
    // A line without newline that never ends must not grow without bound (a broken stream).
    if (this.buffer.length > 1024 * 1024) { out.push({ ok: false, line: this.buffer.slice(0, 200), error: 'line longer than 1 MiB' }); this.buffer = ''; }
    return out;
  }

  /** At the end of the stream: the last line if it had no trailing newline. */
  end(): NdjsonItem[] {
    const rest = this.buffer + this.decoder.decode();
    this.buffer = '';
    return rest.trim() === '' ? [] : [parseLine(rest)];
  }
}

function parseLine(line: string): NdjsonItem {
  try { return { ok: true, value: JSON.parse(line) }; } catch (err) {
    return { ok: false, line: line.slice(0, 200), error: (err as Error).message };
  }
}
