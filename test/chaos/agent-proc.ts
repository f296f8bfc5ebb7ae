// The real `berth agent` (cli/agent.ts runAgent: same arguments, same code path, its own process so
// a test can SIGKILL it), with the reconnect backoff taken from BERTH_CHAOS_BACKOFF (JSON
// BackoffOptions). The chaos tests cut connections far more often than the 60 s of stability that
// resets the design's backoff; with the default pacing, 50 cuts would sit at the 30 s cap and take
// half an hour. The backoff itself is proven by protocol/backoff.test.ts.
import { Backoff, type BackoffOptions } from '../../protocol/backoff.js';
import { runAgent } from '../../cli/agent.js';

const options = JSON.parse(process.env.BERTH_CHAOS_BACKOFF ?? '{}') as BackoffOptions;
process.exitCode = await runAgent(process.argv.slice(2), { backoff: new Backoff(options) });
