// The short in-memory log of Kubernetes-style Events per resource that both stores keep for the
// HTTP API (the Kubernetes store also writes each one as a core/v1 Event, kube/events.ts). Repeats
// of the last event (same type, reason and message) are counted, as Kubernetes aggregates them:
// count + 1 and a new lastTimestamp instead of another record.
import type { Logger } from 'pino';
import type { ResourceKey } from '../api/types.js';
import type { EventRecord, StoredEvent } from './store.js';

export type EventKind = 'ContainerHost' | 'AgentToken' | 'ContainerSet';

/** Records kept per resource; older ones are dropped. */
export const MAX_EVENTS_PER_OBJECT = 100;

export class EventLog {
  private readonly byObject = new Map<string, StoredEvent[]>();

  constructor(private readonly o: { log: Logger; now?: () => Date }) {}

  /** Remembers the event and logs it (warn for Warning, info for Normal). */
  record(kind: EventKind, key: ResourceKey, event: EventRecord): void {
    const id = `${kind}/${key}`;
    const list = this.byObject.get(id) ?? [];
    const now = (this.o.now?.() ?? new Date()).toISOString();
    const last = list.at(-1);
    if (last && last.type === event.type && last.reason === event.reason && last.message === event.message) {
      last.count += 1;
      last.lastTimestamp = now;
    } else {
      list.push({ type: event.type, reason: event.reason, message: event.message, count: 1, firstTimestamp: now, lastTimestamp: now });
      if (list.length > MAX_EVENTS_PER_OBJECT) list.splice(0, list.length - MAX_EVENTS_PER_OBJECT);
    }
    this.byObject.set(id, list);
    const fields = { event: true, kind, key, reason: event.reason };
    if (event.type === 'Warning') this.o.log.warn(fields, event.message);
    else this.o.log.info(fields, event.message);
  }

  /** The last events about a resource (oldest first), copies. */
  events(kind: EventKind, key: ResourceKey): StoredEvent[] {
    return (this.byObject.get(`${kind}/${key}`) ?? []).map((e) => ({ ...e }));
  }

  /** The resource is gone: so is its log. */
  forget(kind: EventKind, key: ResourceKey): void { this.byObject.delete(`${kind}/${key}`); }
}
