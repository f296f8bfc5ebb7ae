// The action dispatcher: sends a planned action to the host's agent without waiting for it (its
// result re-enqueues the host), and remembers per host what is in flight, the last failure of each
// container, and when a failed container may be tried again (1 s doubling, capped at 5 min). It
// records the Events for dispatched and failed actions and counts berth_actions_total.
import { wirePolicy } from '../../protocol/policy.js';
import { networksOf } from './networks.js';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { ContainerHost, ResourceKey } from '../api/types.js';
import { DispatchError, type AgentHub } from '../hub/hub.js';
import type { EventRecord, Store } from '../store/store.js';
import type { Action } from './planner.js';
import { pullAuthFor } from './resolve.js';

/** How long an action may take on the agent (a pull of a large image included). */
const ACTION_TIMEOUT_MS = 15 * 60_000;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 5 * 60_000;

interface HostActions {
  /** container name → action id */
  inFlight: Map<string, string>;
  /** container name → last failure message (cleared by a later success, or by an observation that needs no action) */
  failures: Map<string, string>;
  /** container name → when a failed container may be tried again */
  retry: Map<string, { at: number; attempts: number }>;
}

/** The Event a dispatched action records: what is about to happen to which container, and why. */
export function eventFor(action: Action): EventRecord {
  if (action.kind === 'remove') return { type: 'Normal', reason: 'Removing', message: `${action.name}: ${action.why}` };
  if (action.kind === 'restart') return { type: 'Normal', reason: 'Restarting', message: `${action.name}: ${action.why}; restarting in place (stop + start, same container)` };
  const pull = action.spec.imagePullPolicy === 'Always' ? 'pulling' : action.spec.imagePullPolicy === 'IfNotPresent' ? 'pulling if missing' : 'not pulling';
  if (action.why === 'missing') return { type: 'Normal', reason: 'Creating', message: `${action.name}: creating from ${action.spec.image} (${pull})` };
  if (action.why.startsWith('spec changed')) return { type: 'Normal', reason: 'Recreating', message: `${action.name}: ${action.why}; recreating from ${action.spec.image} (${pull})` };
  return { type: 'Normal', reason: action.spec.state === 'Running' ? 'Starting' : 'Stopping', message: `${action.name}: ${action.why}` };
}

export interface ActionDispatcherOptions {
  hub: Pick<AgentHub, 'dispatch'>;
  store: Pick<Store, 'recordEvent' | 'secret'>;
  /** A successful remove drops the container from the host's observed view at once. */
  dropObserved: (key: ResourceKey, name: string) => void;
  /** A restart succeeded: the request it honoured is done (restarts.ts). */
  restarted?: (key: ResourceKey, name: string, at: string) => void;
  /** Called when an action settled, whichever way: the host is looked at again. */
  enqueue: (key: ResourceKey) => void;
  logger: Logger;
  registry: Registry;
  now?: () => Date;
}

const NOTHING: ReadonlyMap<string, string> = new Map();

export class ActionDispatcher {
  private readonly hosts = new Map<ResourceKey, HostActions>();
  private readonly actions: Counter<'kind' | 'result'>;
  private readonly now: () => Date;

  constructor(private readonly opts: ActionDispatcherOptions) {
    this.now = opts.now ?? (() => new Date());
    this.actions = new Counter({ name: 'berth_actions_total', help: 'Actions dispatched to agents, by kind and result', labelNames: ['kind', 'result'], registers: [opts.registry] });
  }

  /** Containers of the host with an action in flight (a copy). */
  inFlight(key: ResourceKey): Set<string> { return new Set(this.hosts.get(key)?.inFlight.keys()); }

  /** The last failure per container. */
  failures(key: ResourceKey): ReadonlyMap<string, string> { return this.hosts.get(key)?.failures ?? NOTHING; }

  /** Containers waiting out a retry backoff at `nowMs` → when they may be tried again (epoch ms). */
  backingOff(key: ResourceKey, nowMs: number): Map<string, number> {
    const waiting = new Map<string, number>();
    for (const [name, w] of this.hosts.get(key)?.retry ?? []) if (w.at > nowMs) waiting.set(name, w.at);
    return waiting;
  }

  /**
   * The host's agent connection changed: nothing dispatched on the old connection will report. A
   * new connection also deserves a fresh try of the containers that were backing off.
   */
  connectionChanged(key: ResourceKey, change: 'connected' | 'disconnected'): void {
    const h = this.hosts.get(key);
    if (!h) return;
    h.inFlight.clear();
    if (change === 'connected') h.retry.clear();
  }

  /**
   * The agent's inventory shows every container outside PENDING as its spec wants it: a failure
   * kept for one of them is stale (Docker's restart policy, or a retry the agent made, closed the
   * gap), and holding it would report Failed for a container that runs as declared. Its backoff
   * goes too: if the gap opens again, that is a new attempt. In-flight containers are left alone.
   */
  settled(key: ResourceKey, pending: ReadonlySet<string>): void {
    const h = this.hosts.get(key);
    if (!h) return;
    for (const name of [...h.failures.keys(), ...h.retry.keys()]) {
      if (pending.has(name) || h.inFlight.has(name)) continue;
      h.failures.delete(name);
      h.retry.delete(name);
    }
  }

  /** The host is gone: its actions still in flight settle into a detached record. */
  forget(key: ResourceKey): void { this.hosts.delete(key); }

  dispatch(key: ResourceKey, host: ContainerHost, action: Action): void {
    const h = this.actionsOf(key);
    const id = `${action.kind}-${action.name}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    h.inFlight.set(action.name, id);
    this.opts.logger.info({ host: key, container: action.name, action: action.kind, why: action.why }, 'dispatching');
    this.opts.store.recordEvent('ContainerHost', key, eventFor(action));
    const frame = action.kind === 'apply'
      ? { type: 'apply' as const, id, container: action.spec, policy: wirePolicy(host.spec.policy), hostUid: host.metadata.uid, ...networksOf(host),
        ...(() => { const auth = pullAuthFor(host, action.spec.image, (ns, n) => this.opts.store.secret(ns, n)); return auth ? { pullAuth: auth } : {}; })() }
      : action.kind === 'restart' ? { type: 'restart' as const, id, name: action.name, startedAt: action.startedAt }
        : { type: 'remove' as const, id, name: action.name, ...networksOf(host) };
    this.opts.hub.dispatch(key, frame, { timeoutMs: ACTION_TIMEOUT_MS }).then((res) => {
      if (res.ok) {
        h.failures.delete(action.name);
        h.retry.delete(action.name);
        if (action.kind === 'remove') this.opts.dropObserved(key, action.name);
        if (action.kind === 'restart') this.opts.restarted?.(key, action.name, action.at);
        this.actions.inc({ kind: action.kind, result: 'ok' });
      } else {
        const message = `${res.error?.code ?? 'Error'}: ${res.error?.message ?? 'failed'}`;
        h.failures.set(action.name, message);
        this.backOff(h, action.name);
        this.actions.inc({ kind: action.kind, result: 'failed' });
        this.opts.store.recordEvent('ContainerHost', key, { type: 'Warning', reason: action.kind === 'apply' ? 'ApplyFailed' : action.kind === 'restart' ? 'RestartFailed' : 'RemoveFailed', message: `${action.name}: ${message}` });
      }
    }, (err: unknown) => {
      // A lost connection is not the container's fault: the reconnect re-plans it.
      if (err instanceof DispatchError && (err.code === 'disconnected' || err.code === 'not_connected')) return;
      h.failures.set(action.name, `${err instanceof DispatchError ? err.code : 'Error'}: ${(err as Error).message}`);
      this.backOff(h, action.name);
      this.actions.inc({ kind: action.kind, result: 'error' });
    }).finally(() => {
      if (h.inFlight.get(action.name) === id) h.inFlight.delete(action.name);
      this.opts.enqueue(key);
    });
  }

  private actionsOf(key: ResourceKey): HostActions {
    let h = this.hosts.get(key);
    if (!h) { h = { inFlight: new Map(), failures: new Map(), retry: new Map() }; this.hosts.set(key, h); }
    return h;
  }

  private backOff(h: HostActions, name: string): void {
    const attempts = (h.retry.get(name)?.attempts ?? 0) + 1;
    h.retry.set(name, { attempts, at: this.now().getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempts - 1)) });
  }
}
