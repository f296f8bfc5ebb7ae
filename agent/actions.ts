// One `apply`/`remove` from the controller, run through the per-container serial executor, always
// ending as a `result` frame: the error codes are RuntimeError's, else Internal. `done` is called
// in the executor's own settlement callback (no extra hop), so a graceful stop that drains the
// executor still finds the result sent before it closes the socket.
import type { AgentLogger as Logger } from './logger.js';
import type { ObservedContainer } from '../protocol/container.js';
import type { ApplyFrame, RemoveFrame, RestartFrame, ResultFrame } from '../protocol/frames.js';
import type { KeyedSerialQueue } from './executor.js';
import { RuntimeError, errorMessage, type ContainerRuntime } from './runtime.js';

export function performAction(frame: ApplyFrame | RemoveFrame | RestartFrame, runtime: ContainerRuntime, executor: KeyedSerialQueue, log: Logger, done: (result: ResultFrame) => void): void {
  const name = frame.type === 'apply' ? frame.container.name : frame.name;
  const started = Date.now();
  const run = frame.type === 'apply'
    ? () => runtime.apply(frame.container, { policy: frame.policy, hostUid: frame.hostUid, ...(frame.pullAuth ? { pullAuth: frame.pullAuth } : {}), ...(frame.networks ? { networks: frame.networks } : {}) })
    : frame.type === 'restart'
      ? () => (runtime.restart ? runtime.restart(frame.name, frame.startedAt) : Promise.reject(new RuntimeError('DockerError', 'this agent cannot restart containers')))
      : () => runtime.remove(frame.name, frame.networks).then(() => undefined);
  executor.run(name, run).then(
    (container: ObservedContainer | undefined) => {
      log.info({ id: frame.id, action: frame.type, container: name, ms: Date.now() - started }, `${frame.type} done`);
      done({ type: 'result', id: frame.id, ok: true, ...(container ? { container } : {}) });
    },
    (err: unknown) => {
      const code = err instanceof RuntimeError ? err.code : 'Internal';
      const message = errorMessage(err).slice(0, 8192);
      log.warn({ id: frame.id, action: frame.type, container: name, code, message, ms: Date.now() - started }, `${frame.type} failed`);
      done({ type: 'result', id: frame.id, ok: false, error: { code, message } });
    },
  );
}
