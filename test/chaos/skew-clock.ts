// Preloaded (node --import) into an agent process to skew its wall clock by BERTH_TEST_CLOCK_SKEW_MS:
// `Date.now()` and `new Date()` are shifted, as on a machine whose clock is wrong. Monotonic time
// (timers, performance.now) is not, exactly as on such a machine. Test-only.
const skewMs = Number(process.env.BERTH_TEST_CLOCK_SKEW_MS ?? 0);
const RealDate = Date;
const skewedNow = (): number => RealDate.now() + skewMs;

globalThis.Date = new Proxy(RealDate, {
  construct(target, args: unknown[], newTarget) { return Reflect.construct(target, args.length ? args : [skewedNow()], newTarget) as object; },
  apply() { return new RealDate(skewedNow()).toString(); },
  get(target, prop, receiver) { return prop === 'now' ? skewedNow : Reflect.get(target, prop, receiver) as unknown; },
});
