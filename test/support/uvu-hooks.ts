// Preloaded by test/run.ts into every test process (node --import). uvu's runner returns from a
// `finally` block, which swallows an exception thrown by a before/after hook and leaves only
// "(0 / N)". This wraps the default suite's hooks so the error is printed before uvu hides it.
import { test } from 'uvu';

type Hook = (fn: (state: unknown) => unknown) => void;

function printing(register: Hook, kind: string): Hook {
  return (fn) => register(async (state: unknown) => {
    try { await fn(state); } catch (err) {
      console.error(`\n  ${kind} HOOK FAILED: ${(err as Error)?.stack ?? String(err)}\n`);
      throw err;
    }
  });
}

const t = test as unknown as { before: Hook & { each: Hook }; after: Hook & { each: Hook } };
const { each: beforeEach } = t.before;
const { each: afterEach } = t.after;
t.before = Object.assign(printing(t.before, 'before'), { each: beforeEach });
t.after = Object.assign(printing(t.after, 'after'), { each: afterEach });

// `node dist/test/run.js --test NAME`: register only the tests whose name contains NAME.
if (process.env.BERTH_TEST_FILTER) {
  const { register } = await import('node:module');
  register('./uvu-filter-loader.js', import.meta.url);
}
