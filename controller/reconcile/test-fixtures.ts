// Small builders shared by the reconcile unit tests (test-only; nothing in the product imports it).
import type { ContainerSpec, ObservedContainer } from '../../protocol/container.js';
import type { ContainerHost } from '../api/types.js';

/** A resolved spec whose hash is `h-<name>` unless overridden. */
export const spec = (name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name, image: 'busybox:1', imagePullPolicy: 'IfNotPresent', state: 'Running', env: [], ports: [], volumes: [],
  restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false, stopTimeoutSeconds: 10,
  logging: { maxSizeBytes: 1, maxFiles: 1 }, specHash: `h-${name}`, ...extra,
});

/** What an agent reports for a running container made from `spec(name)`. */
export const seen = (name: string, extra: Partial<ObservedContainer> = {}): ObservedContainer => ({
  name, containerID: `id-${name}`, image: 'busybox:1', imageID: 'sha256:x', state: 'running', health: 'none', restartCount: 0, specHash: `h-${name}`, ...extra,
});

/** A ContainerHost `ns/h` declaring containers `names` (all Running, busybox). */
export const hostWith = (names: string[], extra: Partial<ContainerHost['spec']> = {}, metadata: Partial<ContainerHost['metadata']> = {}): ContainerHost => ({
  apiVersion: 'berth.dev/v1alpha1', kind: 'ContainerHost',
  metadata: { name: 'h', namespace: 'ns', uid: 'u', generation: 3, ...metadata },
  spec: { paused: false, removalPolicy: 'Delete', policy: { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: [] },
    containers: names.map((n) => ({ name: n, image: 'busybox:1', state: 'Running', restartPolicy: 'UnlessStopped', network: 'bridge', privileged: false, stopTimeoutSeconds: 10, logging: { maxSize: 1024, maxFiles: 1 } })), ...extra },
});

/** A settable promise: what a fake hub's dispatch() returns, settled by the test. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void; let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}
