import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyFailure, splitFailure, STALLED_REASONS } from './stall-reasons.js';

// [failure as the dispatcher / resolution keeps it, the Stalled reason or undefined for transient]
const TABLE: Array<[string, string | undefined]> = [
  ['PolicyViolation: refused by the host policy: container "web": privileged is not allowed', 'PolicyRefused'],
  ['ImageNotPresent: image "nope:1" is not present on this host and imagePullPolicy is Never', 'ImageNotPresent'],
  ['NameConflict: the Docker container name "web" is held by a container Berth does not manage', 'NameConflict'],
  ['PullFailed: pulling image "127.0.0.1:5000/x:1" (as berth at 127.0.0.1:5000) failed: Head "http://127.0.0.1:5000/v2/x/manifests/1": no basic auth credentials', 'RegistryAuthFailed'],
  ['PullFailed: pulling image "r/x:1" failed: unauthorized: authentication required', 'RegistryAuthFailed'],
  ['PullFailed: pulling image "x:1" failed: pull access denied for x, repository does not exist or may require \'docker login\'', 'RegistryAuthFailed'],
  ['PullFailed: pulling image "r/x:9" failed: manifest for r/x:9 not found: manifest unknown: manifest unknown', 'ImageNotFound'],
  ['PullFailed: pulling image "r/x:1" failed: Get "https://r/v2/": dial tcp: lookup r: no such host', undefined],
  ['PullFailed: pulling image "r/x:1" failed: no answer within 300 s', undefined],
  ['SecretNotFound: env PASSWORD: Secret ns/web-secrets not found', 'SecretNotFound'],
  ['SecretNotFound: env PASSWORD: key "pw" not found in Secret ns/web-secrets', 'SecretNotFound'],
  ['ConfigMapNotFound: volume /etc/app: ConfigMap ns/site not found', 'ConfigMapNotFound'],
  ['SecretNotFound: envFrom: Secret ns/env not found', 'SecretNotFound'],
  ['DockerError: starting container web failed: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated', 'PortInUse'],
  ['DockerError: creating container web failed: network backend not found', 'NetworkNotFound'],
  ['DockerError: creating container web failed: something odd', undefined],
  ['DockerUnavailable: Docker is unavailable (creating container web): connect ENOENT /var/run/docker.sock', undefined],
  ['refused: agent refused apply-web-1: invalid: unknown field', 'AgentRefused'],
  ['timeout: no result from ns/h for apply apply-web-1 within 900000 ms', undefined],
  ['send_failed: could not send apply apply-web-1 to ns/h', undefined],
  ['Internal: something broke in the agent', undefined],
  ['ShuttingDown: the agent is shutting down; retry after it reconnects', undefined],
  ['no code at all', undefined],
];

for (const [failure, reason] of TABLE) {
  test(`${reason ?? 'transient'} ⇐ ${failure.slice(0, 70)}`, () => {
    const v = classifyFailure(failure);
    assert.equal(v, reason ? { stalled: true, reason } : { stalled: false });
  });
}

/** Stalled reasons a kind decides from its own facts, not from a failure (tested in host-progress.test.ts). */
const DECIDED_BY_THE_KIND = new Set(['InvalidDependencies']);

test('every Stalled reason is reachable from the table above (or decided by the kind) and documented', () => {
  const produced = new Set(TABLE.map(([, r]) => r).filter(Boolean));
  for (const [name, r] of Object.entries(STALLED_REASONS)) {
    assert.ok(produced.has(name) || DECIDED_BY_THE_KIND.has(name), `${name} has a case`);
    assert.is(r.reason, name);
    assert.ok(r.when.length > 10 && r.fix.length > 5, `${name} says when and what to do`);
  }
});

test('splitFailure keeps colons inside the message', () => {
  assert.equal(splitFailure('PullFailed: a: b: c'), { code: 'PullFailed', message: 'a: b: c' });
  assert.equal(splitFailure('plain'), { code: '', message: 'plain' });
});

test.run();
