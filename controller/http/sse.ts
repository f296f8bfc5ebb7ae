// Server-sent events framing (the text/event-stream format), kept pure so it can be tested alone.
// Data is one JSON document per event: JSON.stringify never emits a raw newline (newlines inside
// strings are escaped), so a single `data:` line is always enough.

export function sseEvent(event: string, data: unknown): string {
  if (!/^[a-z][a-z0-9-]*$/.test(event)) throw new Error(`invalid SSE event name "${event}"`);
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The reconnect delay EventSource should use after a dropped connection. */
export function sseRetry(ms: number): string { return `retry: ${Math.max(0, Math.round(ms))}\n\n`; }

/** A comment line: ignored by EventSource, but it keeps proxies from timing the stream out. */
export function sseComment(text: string): string { return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`; }
