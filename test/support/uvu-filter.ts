// What a test file gets for `import { test } from 'uvu'` when the runner is given `--test`: uvu's own
// `test`, except that tests whose name does not contain BERTH_TEST_FILTER (case-insensitive) are not
// registered at all. uvu itself can filter files but not tests; test/support/uvu-filter-loader.ts
// routes the 'uvu' import here, so no test file has to change. Without the variable this module is
// never loaded.
import * as uvu from 'uvu';

const wanted = (process.env.BERTH_TEST_FILTER ?? '').toLowerCase();
const matches = (name: string) => name.toLowerCase().includes(wanted);

type Test<T> = uvu.Test<T>;

function filtering<T>(inner: Test<T>): Test<T> {
  const wrapped = ((name: string, fn: Parameters<Test<T>>[1]) => { if (matches(name)) inner(name, fn); }) as Test<T>;
  // before/after hooks, skip and run are uvu's own (already wrapped by uvu-hooks.ts).
  const only = ((name: string, fn: Parameters<Test<T>>[1]) => { if (matches(name)) inner.only(name, fn); }) as Test<T>['only'];
  return Object.assign(wrapped, inner, { only });
}

export const test = filtering(uvu.test);
export const suite = (<T = uvu.Context>(title?: string, context?: T) => filtering(uvu.suite<T>(title, context))) as typeof uvu.suite;
export const exec = uvu.exec;
