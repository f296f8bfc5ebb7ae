// Trailing debounce with a ceiling: a burst of Docker events (a recreate emits kill, die, stop,
// destroy, create, start within milliseconds) becomes one call, and a never-ending stream of events
// still produces a call at least every maxWaitMs so the controller's view does not starve.

export interface Debounced { trigger(): void; cancel(): void }

export function debounce(fn: () => void, waitMs: number, maxWaitMs = waitMs * 4): Debounced {
  let timer: NodeJS.Timeout | undefined;
  let firstAt: number | undefined;
  const fire = () => { timer = undefined; firstAt = undefined; fn(); };
  return {
    trigger() {
      const now = Date.now();
      firstAt ??= now;
      if (timer) clearTimeout(timer);
      timer = setTimeout(fire, Math.max(0, Math.min(waitMs, firstAt + maxWaitMs - now)));
    },
    cancel() { if (timer) clearTimeout(timer); timer = undefined; firstAt = undefined; },
  };
}
