// Which failures stall a resource — kstatus' `Stalled`: the controller keeps retrying, but nothing
// will change until someone changes the spec or the environment (a Secret, the host's Docker, the
// registry's credentials). Everything else is transient: the retry backoff may well fix it, so the
// resource is still `Reconciling`. Kind-independent: a failure is the "<code>: <message>" string the
// dispatcher and the resolution keep per container (the code is the agent's RuntimeError code,
// a resolution reason, or a DispatchError code); a future kind classifies its failures here too.
// Pure and table-driven; docs/api-reference.md is generated from STALLED_REASONS.

/** A reason a resource is Stalled, with what an operator does about it (documented per reason). */
export interface StalledReason { reason: string; when: string; fix: string }

export const STALLED_REASONS = {
  PolicyRefused: { reason: 'PolicyRefused', when: 'the agent refused a container because it breaks the host policy (privileged, host network, a bind mount outside allowedHostPaths)', fix: 'change the container, or widen spec.policy' },
  ImageNotPresent: { reason: 'ImageNotPresent', when: 'the image is not on the host and imagePullPolicy is Never', fix: 'load the image on the host, or allow pulling' },
  NameConflict: { reason: 'NameConflict', when: 'the Docker container name is held by a container Berth does not manage (or another host\'s)', fix: 'rename or remove that container, or rename the container in the spec' },
  RegistryAuthFailed: { reason: 'RegistryAuthFailed', when: 'the registry refused the pull credentials (or asked for some and none were given)', fix: 'fix the imagePullSecrets Secret or the host\'s imagePullSecrets' },
  ImageNotFound: { reason: 'ImageNotFound', when: 'the registry answered that the image or tag does not exist', fix: 'push the image, or correct the reference' },
  SecretNotFound: { reason: 'SecretNotFound', when: 'an env valueFrom.secretKeyRef, envFrom or files volume names a Secret (or a key) that does not exist', fix: 'create the Secret or the key, or mark the reference optional' },
  ConfigMapNotFound: { reason: 'ConfigMapNotFound', when: 'an envFrom or files volume names a ConfigMap (or a key) that does not exist', fix: 'create the ConfigMap or the key, or mark the reference optional' },
  PortInUse: { reason: 'PortInUse', when: 'a hostPort is already taken on the host', fix: 'free the port, or choose another hostPort' },
  NetworkNotFound: { reason: 'NetworkNotFound', when: 'the container\'s network does not exist on the host', fix: 'create the Docker network, or change spec network' },
  InvalidDependencies: { reason: 'InvalidDependencies', when: 'a dependsOn names a container the host does not declare, or the dependencies form a cycle (the containers concerned are held back)', fix: 'correct the dependsOn lists' },
  AgentRefused: { reason: 'AgentRefused', when: 'the agent refused the controller\'s request as invalid (usually an agent older than the controller)', fix: 'upgrade the agent' },
} as const satisfies Record<string, StalledReason>;

export type StalledReasonName = keyof typeof STALLED_REASONS;

/** What one failure means: Stalled with a reason, or transient (still Reconciling, retried). */
export type FailureVerdict = { stalled: true; reason: StalledReasonName } | { stalled: false };

interface Rule { code: string; match?: RegExp; reason: StalledReasonName }

/**
 * First matching rule wins; a code with no matching rule is transient. Messages are matched only
 * where one code covers both kinds (a pull that failed on credentials vs on the network; the
 * engine's catch-all DockerError).
 */
const RULES: readonly Rule[] = [
  { code: 'PolicyViolation', reason: 'PolicyRefused' },
  { code: 'ImageNotPresent', reason: 'ImageNotPresent' },
  { code: 'NameConflict', reason: 'NameConflict' },
  // The registry's words (distribution, Docker Hub, ghcr, …) as the engine passes them on.
  { code: 'PullFailed', match: /unauthorized|authentication required|no basic auth credentials|incorrect username or password|denied/i, reason: 'RegistryAuthFailed' },
  { code: 'PullFailed', match: /manifest unknown|not found|does not exist|name unknown/i, reason: 'ImageNotFound' },
  { code: 'SecretNotFound', reason: 'SecretNotFound' },
  { code: 'ConfigMapNotFound', reason: 'ConfigMapNotFound' },
  { code: 'DockerError', match: /port is already allocated|address already in use/i, reason: 'PortInUse' },
  { code: 'DockerError', match: /network [^ ]+ not found|no such network/i, reason: 'NetworkNotFound' },
  { code: 'refused', reason: 'AgentRefused' },
];

/** Split "<code>: <message>" (the form failures are kept in); no code: the whole string is the message. */
export function splitFailure(failure: string): { code: string; message: string } {
  const m = /^([A-Za-z_]+): ([\s\S]*)$/.exec(failure);
  return m ? { code: m[1]!, message: m[2]! } : { code: '', message: failure };
}

export function classifyFailure(failure: string): FailureVerdict {
  const { code, message } = splitFailure(failure);
  const rule = RULES.find((r) => r.code === code && (!r.match || r.match.test(message)));
  return rule ? { stalled: true, reason: rule.reason } : { stalled: false };
}
