// The real `berth controller` (cli/controller.ts runController: same arguments, same code path, its
// own process so a test can SIGKILL, SIGTERM or SIGSTOP it) with the timers no flag sets taken from
// BERTH_TEST_CONTROLLER_SEAMS (JSON RunControllerOptions): the ping interval, the log tail's access
// recheck and the access-decision cache. Tests shorten them so a 30 s window takes a second.
import { runController, type RunControllerOptions } from '../../cli/controller.js';

const seams = JSON.parse(process.env.BERTH_TEST_CONTROLLER_SEAMS ?? '{}') as RunControllerOptions;
process.exitCode = await runController(process.argv.slice(2), seams);
