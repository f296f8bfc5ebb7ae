// The one way tests wait: poll a probe until it holds, bounded, and say what was awaited and what
// was last seen when it times out. (Before, eight copies differed in argument order, poll interval
// and what counted as "not yet".) The poll interval starts at 5 ms and doubles up to `everyMs` (100 ms unless given), so a
// unit test's sub-second waits stay quick and a system test's polling of an API stays light.
//
//   until(what, probe)   — probe returns a value; undefined, null, false or a throw mean "not yet".
//   eventually(fn)       — fn throws until it holds (e.g. it asserts); on timeout its last error is rethrown.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Wait until PROBE returns something other than undefined/false (a throw counts as "not yet"); returns it. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (let interval = Math.min(5, everyMs); ; interval = Math.min(interval * 2, everyMs)) {
    try { const v = await probe(); if (v !== undefined && v !== null && v !== false) return v as T; last = v; } catch (err) { last = err; }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${describe(last)}`);
    await sleep(interval);
  }
}

/** Retry FN until it returns without throwing; after TIMEOUT_MS its last error is rethrown as is. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 200): Promise<T> {
  let lastError: unknown;
  try {
    return await until('fn to stop throwing', async () => {
      try { return { value: await fn() }; } catch (err) { lastError = err; return undefined; }
    }, timeoutMs, everyMs).then((r) => r.value);
  } catch (err) {
    throw lastError ?? err;
  }
}

function describe(v: unknown): string {
  if (v instanceof Error) return v.message;
  return JSON.stringify(v)?.slice(0, 2000) ?? String(v);
}
