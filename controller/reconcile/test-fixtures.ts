// Small builders shared by the reconcile unit tests (test-only; nothing in the product imports it).
import type { ContainerSpec, ObservedContainer } from '../../protocol/container.js';

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
