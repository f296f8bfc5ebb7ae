// The dispatches one connection has sent and waits on: an `apply`/`remove` frame goes out with an
// id, and the agent's `result` (or `error`) with that id settles it. Every dispatch settles exactly
// once: result, refusal, timeout, failed send, or the connection ending.
import type { ApplyFrame, ControllerFrame, RemoveFrame, RestartFrame, ResultFrame } from '../../protocol/frames.js';

export type DispatchFrame = (Omit<ApplyFrame, 'id'> | Omit<RemoveFrame, 'id'> | Omit<RestartFrame, 'id'>) & { id?: string };
export type DispatchFailure = 'not_connected' | 'timeout' | 'disconnected' | 'refused' | 'send_failed' | 'duplicate_id';

export class DispatchError extends Error {
  override readonly name = 'DispatchError';
  constructor(readonly code: DispatchFailure, message: string, readonly hostKey: string, readonly id?: string) { super(message); }
}

interface Pending { resolve: (r: ResultFrame) => void; reject: (e: DispatchError) => void; timer: NodeJS.Timeout; container: string }

/** What became of an agent's `result`: settled one of ours, or named an id nobody dispatched here. */
export type ResultVerdict = { accepted: true; frame: ResultFrame } | { accepted: false; late: boolean };

/**
 * How many timed-out ids a connection remembers. An honest agent's result can arrive after its
 * dispatch timed out (a slow pull); it is dropped quietly, not counted as an invalid frame -- the
 * agent's next inventory says what became of the container. Bounded, so a hostile agent cannot
 * grow it, and only ids this connection really dispatched are ever in it.
 */
const LATE_IDS_KEPT = 256;

/** The container a dispatch is about (a result may only report that one). */
const containerOf = (f: DispatchFrame): string => (f.type === 'apply' ? f.container.name : f.name);

export class PendingDispatches {
  private readonly pending = new Map<string, Pending>();
  private readonly timedOut = new Set<string>();

  constructor(private readonly hostKey: string) {}

  /** Send `frame` with `id` through `send` (false: not sent) and wait for its result. */
  start(frame: DispatchFrame, id: string, timeoutMs: number, send: (f: ControllerFrame) => boolean): Promise<ResultFrame> {
    const host = this.hostKey;
    if (this.pending.has(id)) return Promise.reject(new DispatchError('duplicate_id', `a dispatch with id ${id} is already pending`, host, id));
    return new Promise<ResultFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.rememberTimedOut(id);
        reject(new DispatchError('timeout', `no result from ${host} for ${frame.type} ${id} within ${timeoutMs} ms`, host, id));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer, container: containerOf(frame) });
      if (!send({ ...frame, id } as ControllerFrame)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new DispatchError('send_failed', `could not send ${frame.type} ${id} to ${host}`, host, id));
      }
    });
  }

  /**
   * The agent's result for one of ours. A result for an id this connection did not dispatch (or
   * already settled) is refused, so a forged result never reaches the inventory; a result whose
   * `container` is not the one dispatched settles the dispatch without it.
   */
  resolve(result: ResultFrame): ResultVerdict {
    const p = this.take(result.id);
    if (!p) return { accepted: false, late: this.timedOut.delete(result.id) };
    let frame = result;
    if (result.container && result.container.name !== p.container) {
      const { container: _dropped, ...rest } = result;
      frame = rest;
    }
    p.resolve(frame);
    return { accepted: true, frame };
  }

  /** The agent answered one of ours with an `error` frame. */
  refuse(id: string, code: string, message: string): void {
    this.take(id)?.reject(new DispatchError('refused', `agent refused ${id}: ${code}: ${message}`, this.hostKey, id));
  }

  /** The connection ended: every dispatch still waiting fails. */
  rejectAll(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new DispatchError('disconnected', `agent for ${this.hostKey} disconnected: ${reason}`, this.hostKey, id));
    }
    this.pending.clear();
  }

  private rememberTimedOut(id: string): void {
    this.timedOut.add(id);
    if (this.timedOut.size > LATE_IDS_KEPT) this.timedOut.delete(this.timedOut.values().next().value as string);
  }

  private take(id: string): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    clearTimeout(p.timer);
    return p;
  }
}
