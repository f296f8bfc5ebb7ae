// The ContainerRuntime on a real Docker Engine (dockerode). Everything it lists or touches carries
// `berth.dev/managed=true` AND `berth.dev/host=<this host>`: one machine may run several agents for
// several ContainerHosts, and containers people started by hand are never Berth's business.
import Docker from 'dockerode';
import { silentLogger, type AgentLogger as Logger } from './logger.js';
import { byName } from './by-name.js';
import { LABELS, type ContainerSpec, type DockerFacts, type DockerState, type HostPolicy, type NetworkSpec, type ObservedContainer } from '../protocol/container.js';
import { policyViolations } from '../protocol/policy.js';
import { ceilingViolations, type AgentCeiling } from './ceiling.js';
import { checkHostPaths, type HostView } from './host-paths.js';
import { detectHostView } from './host-view.js';
import { Backoff } from '../protocol/backoff.js';
import { ignoring, orUndefinedOn404, statusOf, toRuntimeError, dockerMessage } from './docker-errors.js';
import { watchEvents } from './docker-events.js';
import { namedVolumes, toCreateOptions, volumeLabels, type ManagedIdentity } from './docker-options.js';
import { ensureImage } from './docker-pull.js';
import { ensureFilesVolumes, filesVolumeName, pruneFilesVolumes } from './docker-files.js';
import { connectExtraNetworks, ensureNetworks, pruneNetworks } from './docker-networks.js';
import { observedRunView, runStateAction, type RunStateAction } from '../protocol/run-state.js';
import { isDockerZeroTime } from './docker-time.js';
import { RuntimeError, type ApplyContext, type ContainerRuntime, type Watch } from './runtime.js';

export interface DockerRuntimeOptions {
  /** "<namespace>/<name>" of the ContainerHost (the agent token's `sub`). */
  hostKey: string;
  /** Default: `new Docker()`, which honours DOCKER_HOST (and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH). */
  docker?: Docker;
  log?: Logger;
  /** Deadline of one image pull (default 15 min). */
  pullTimeoutMs?: number;
  /** Debounce of Docker events into one onChange (default 250 ms). */
  eventDebounceMs?: number;
  /** Re-subscription backoff after the event stream broke (default 0.5 s → 30 s). */
  eventBackoff?: Backoff;
  /** Containers inspected at once while building the inventory (default 8). */
  inspectConcurrency?: number;
  /**
   * The machine owner's ceiling (agent/ceiling.ts): a container must fit both it and the host policy
   * the controller sends. `berth agent` always passes one (default deny); absent, only the host
   * policy applies (embedders and tests that own both sides).
   */
  ceiling?: AgentCeiling;
  /** Where the host's filesystem is visible, for the host-path check (default: detected, host-view.ts). */
  hostView?: HostView;
}

const DEFAULT_STOP_TIMEOUT_S = 10;

type Ownership = 'ours' | 'unmanaged' | 'otherHost';

/** The Engine's API versions from GET /version, kept only when they look like one ("1.41"): the schema caps them at 32 chars. */
export function apiVersions(v: { ApiVersion?: unknown; MinAPIVersion?: unknown }): { apiVersion?: string; minAPIVersion?: string } {
  const ok = (x: unknown): x is string => typeof x === 'string' && /^\d{1,4}\.\d{1,4}$/.test(x);
  return { ...(ok(v.ApiVersion) ? { apiVersion: v.ApiVersion } : {}), ...(ok(v.MinAPIVersion) ? { minAPIVersion: v.MinAPIVersion } : {}) };
}

export class DockerRuntime implements ContainerRuntime {
  readonly hostKey: string;
  private readonly docker: Docker;
  private readonly log: Logger;
  private readonly opts: DockerRuntimeOptions;
  private detectedView: Promise<HostView> | undefined;

  constructor(opts: DockerRuntimeOptions) {
    this.opts = opts;
    this.hostKey = opts.hostKey;
    this.docker = opts.docker ?? new Docker();
    this.log = opts.log ?? silentLogger;
  }

  async dockerFacts(): Promise<DockerFacts> {
    try {
      // GET /version answers the API versions (GET /info does not); both are cheap and read in parallel.
      const [info, version] = await Promise.all([
        this.docker.info() as Promise<{ ServerVersion?: string; NCPU?: number; MemTotal?: number }>,
        this.docker.version() as Promise<{ ApiVersion?: unknown; MinAPIVersion?: unknown }>,
      ]);
      return {
        ok: true, version: String(info.ServerVersion ?? 'unknown'), cpus: Math.max(0, Math.trunc(info.NCPU ?? 0)), memoryBytes: Math.max(0, Math.trunc(info.MemTotal ?? 0)),
        ...apiVersions(version),
      };
    } catch (err) {
      return { ok: false, error: toRuntimeError(err, 'reading engine info').message.slice(0, 8000) };
    }
  }

  async inventory(): Promise<ObservedContainer[]> {
    try {
      const list = await this.docker.listContainers({ all: true, filters: { label: this.labelFilter() } });
      const out: ObservedContainer[] = [];
      const queue = [...list];
      // Inspect (restart count, timestamps, exit code, health) a few at a time.
      const worker = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const info = await orUndefinedOn404(() => this.docker.getContainer(c.Id).inspect());
          if (info && this.ownership(info) === 'ours') out.push(observe(info));   // gone meanwhile: skip
        }
      };
      await Promise.all(Array.from({ length: this.opts.inspectConcurrency ?? 8 }, worker));
      return out.sort(byName);
    } catch (err) {
      throw toRuntimeError(err, 'listing containers');
    }
  }

  async apply(declared: ContainerSpec, ctx: ApplyContext): Promise<ObservedContainer> {
    // Policy first: a refused spec must not pull, create volumes, or stop the running container.
    // The effective policy is the intersection of the host policy and this agent's ceiling.
    const violations = policyViolations(declared, ctx.policy);
    if (violations.length) throw new RuntimeError('PolicyViolation', `refused by the host policy: ${violations.join('; ')}`);
    const ceiling = this.opts.ceiling;
    const over = ceiling ? ceilingViolations(declared, ceiling) : [];
    if (over.length) throw new RuntimeError('PolicyViolation', `refused by this agent's policy ceiling: ${over.join('; ')}`);
    // The same spec with each hostPath replaced by where it really leads on the host.
    const spec = await checkHostPaths(declared, [
      { roots: ctx.policy.allowedHostPaths, source: 'the host policy' },
      ...(ceiling ? [{ roots: ceiling.allowedHostPaths, source: "this agent's policy ceiling" }] : []),
    ], await this.hostView());

    const id: ManagedIdentity = { hostKey: this.hostKey, hostUid: ctx.hostUid };
    let step = `inspecting container ${spec.name}`;
    try {
      const existing = await this.inspectByName(spec.name);
      if (existing) this.assertOurs(existing, spec.name, 'apply');

      if (existing && existing.Config.Labels?.[LABELS.specHash] === spec.specHash) {
        const action = runStateAction(spec.state, spec.restartPolicy, observedRunView(observe(existing)));
        if (action !== 'recreate') {
          step = `${action} container ${spec.name}`;
          await this.converge(existing, action);
          return await this.observeById(existing.Id);
        }
      }

      // Replace (or first create). Pull before stopping anything: a failed pull leaves the old
      // container running. Pulling only on (re)creation also means a registry outage never
      // prevents starting a container whose image is already here.
      step = `pulling image ${spec.image}`;
      await ensureImage(this.docker, spec.image, { policy: spec.imagePullPolicy, auth: ctx.pullAuth, timeoutMs: this.opts.pullTimeoutMs ?? 15 * 60_000 });
      for (const name of namedVolumes(spec)) {
        step = `creating volume ${name}`;
        await this.ensureVolume(name, id);
      }
      step = `writing the files volumes of ${spec.name}`;
      await ensureFilesVolumes(this.docker, spec, id);
      step = `creating the networks of ${spec.name}`;
      await ensureNetworks(this.docker, spec, ctx.networks ?? [], id);
      if (existing) {
        step = `replacing container ${spec.name}`;
        await this.stopAndRemove(existing);
      }
      step = `creating container ${spec.name}`;
      let created: Docker.Container;
      try {
        created = await this.docker.createContainer(toCreateOptions(spec, id));
      } catch (err) {
        // Someone took the name between our remove and create.
        if (statusOf(err) === 409) throw new RuntimeError('NameConflict', `container name "${spec.name}" was taken while Berth replaced the container: ${dockerMessage(err)}`, { cause: err });
        throw err;
      }
      this.log.info({ container: spec.name, id: created.id.slice(0, 12), specHash: spec.specHash, replaced: existing?.Id.slice(0, 12) }, existing ? 'container recreated' : 'container created');
      step = `connecting container ${spec.name} to its networks`;
      await connectExtraNetworks(this.docker, created.id, spec);
      step = `cleaning up after container ${spec.name}`;
      await this.afterAction(spec.name, ctx.networks, new Set(spec.volumes.flatMap((v, i) => (v.files ? [filesVolumeName(spec, i)] : []))));
      if (spec.state === 'Running') {
        step = `starting container ${spec.name}`;
        await ignoring([304], () => created.start());
      }
      return await this.observeById(created.id);
    } catch (err) {
      throw toRuntimeError(err, step);
    }
  }

  async restart(name: string, startedAt: string): Promise<ObservedContainer> {
    try {
      const existing = await this.inspectByName(name);
      if (!existing) throw new RuntimeError('DockerError', `container ${name} does not exist; nothing to restart`);
      this.assertOurs(existing, name, 'apply');
      // Compare-and-swap on StartedAt: a repeated frame, or one that lost a race with Docker's own
      // restart policy, restarts nothing.
      if (existing.State.Running && existing.State.StartedAt === startedAt) {
        await this.docker.getContainer(existing.Id).restart({ t: stopTimeoutOf(existing) });
        this.log.info({ container: name, id: existing.Id.slice(0, 12) }, 'container restarted');
      } else {
        this.log.info({ container: name, startedAt: existing.State.StartedAt, expected: startedAt }, 'restart skipped: the container was (re)started since');
      }
      return await this.observeById(existing.Id);
    } catch (err) {
      throw toRuntimeError(err, `restarting container ${name}`);
    }
  }

  async remove(name: string, networks?: NetworkSpec[]): Promise<void> {
    try {
      const existing = await this.inspectByName(name);
      if (existing) {
        this.assertOurs(existing, name, 'remove');
        await this.stopAndRemove(existing);
        this.log.info({ container: name, id: existing.Id.slice(0, 12) }, 'container removed');
      }
      await this.afterAction(name, networks, new Set());
    } catch (err) {
      throw toRuntimeError(err, `removing container ${name}`);
    }
  }

  watch(onChange: () => void): Watch {
    const filters = { type: ['container'], label: this.labelFilter() };
    // While Docker is down the same failure repeats on every retry: warn once, then debug.
    let lastError: string | undefined;
    return watchEvents({
      subscribe: async (since, signal) => {
        const opts: Record<string, unknown> = { filters, abortSignal: signal };
        if (since !== undefined) opts.since = since;
        return await this.docker.getEvents(opts) as unknown as import('node:stream').Readable;
      },
      onChange: () => {
        if (lastError !== undefined) this.log.info('Docker event stream is back');
        lastError = undefined;
        onChange();
      },
      onError: (message) => {
        if (message === lastError) this.log.debug(message);
        else this.log.warn(message);
        lastError = message;
      },
      debounceMs: this.opts.eventDebounceMs ?? 250,
      ...(this.opts.eventBackoff ? { backoff: this.opts.eventBackoff } : {}),
    });
  }

  // ---- helpers

  /** The files volumes container NAME no longer mounts, and the networks nobody needs, go. */
  private async afterAction(name: string, networks: readonly NetworkSpec[] | undefined, keepVolumes: ReadonlySet<string>): Promise<void> {
    const id: ManagedIdentity = { hostKey: this.hostKey, hostUid: '' };
    await pruneFilesVolumes(this.docker, name, id, keepVolumes);
    const removed = await pruneNetworks(this.docker, networks ?? [], id);
    if (removed.length) this.log.info({ networks: removed }, 'managed networks removed (left the spec, unused)');
  }

  private labelFilter(): string[] {
    return [`${LABELS.managed}=true`, `${LABELS.host}=${this.hostKey}`];
  }

  private ownership(info: Docker.ContainerInspectInfo): Ownership {
    const labels = info.Config.Labels ?? {};
    if (labels[LABELS.managed] !== 'true') return 'unmanaged';
    return labels[LABELS.host] === this.hostKey ? 'ours' : 'otherHost';
  }

  private assertOurs(info: Docker.ContainerInspectInfo, name: string, verb: 'apply' | 'remove'): void {
    const who = this.ownership(info);
    if (who === 'ours') return;
    const held = who === 'unmanaged'
      ? `is held by container ${info.Id.slice(0, 12)} which Berth does not manage (no ${LABELS.managed}=true label)`
      : `is held by container ${info.Id.slice(0, 12)} which Berth manages for host "${info.Config.Labels?.[LABELS.host] ?? '?'}", not "${this.hostKey}"`;
    throw new RuntimeError('NameConflict', `the Docker container name "${name}" ${held}; Berth will not take it over${verb === 'remove' ? ' or remove it' : ''} — rename or remove that container, or rename the container in the spec`);
  }

  private async inspectByName(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    // Docker resolves a name OR an ID prefix here; the exact-name check keeps "abc" from
    // matching a container whose ID starts with abc.
    const info = await orUndefinedOn404(() => this.docker.getContainer(name).inspect());
    return info && info.Name.replace(/^\//, '') === name ? info : undefined;
  }

  private async observeById(id: string): Promise<ObservedContainer> {
    return observe(await this.docker.getContainer(id).inspect());
  }

  /** The configured host view, else the detected one (detected once, on the first host path). */
  private hostView(): Promise<HostView> {
    if (this.opts.hostView) return Promise.resolve(this.opts.hostView);
    this.detectedView ??= detectHostView({
      info: () => this.docker.info() as Promise<{ DockerRootDir?: string }>,
      mountsOf: async (name) => (await orUndefinedOn404(() => this.docker.getContainer(name).inspect()))?.Mounts,
    }).then((v) => { this.log.info({ hostView: v }, 'host filesystem view'); return v; }, (err: unknown) => { this.detectedView = undefined; throw toRuntimeError(err, 'finding out whether this agent sees the host filesystem'); });
    return this.detectedView;
  }

  private async converge(info: Docker.ContainerInspectInfo, action: Exclude<RunStateAction, 'recreate'>): Promise<void> {
    const c = this.docker.getContainer(info.Id);
    switch (action) {
      case 'none':
      case 'wait': return;   // 'wait': removing; the destroy event brings a fresh apply
      case 'start': await ignoring([304], () => c.start()); return;
      case 'unpause': await c.unpause(); return;
      case 'stop': await ignoring([304], () => c.stop({ t: stopTimeoutOf(info) })); return;
    }
  }

  private async stopAndRemove(info: Docker.ContainerInspectInfo): Promise<void> {
    const c = this.docker.getContainer(info.Id);
    // A graceful stop first (the container's own stop timeout), then remove. `v` is never set:
    // named volumes always survive; anonymous volumes of the image are left for `docker volume prune`.
    if (info.State.Running || info.State.Restarting || info.State.Paused) await ignoring([304, 404], () => c.stop({ t: stopTimeoutOf(info) }));
    await ignoring([404], () => c.remove({ force: true }));
  }

  private async ensureVolume(name: string, id: ManagedIdentity): Promise<void> {
    const existing = await orUndefinedOn404(() => this.docker.getVolume(name).inspect());
    // An existing volume is used as it is, whoever made it: volumes hold data, and Berth never
    // removes or relabels them.
    if (!existing) await this.docker.createVolume({ Name: name, Labels: volumeLabels(id) });
  }
}

function stopTimeoutOf(info: Docker.ContainerInspectInfo): number {
  const t = (info.Config as { StopTimeout?: number }).StopTimeout;
  return typeof t === 'number' && t >= 0 ? t : DEFAULT_STOP_TIMEOUT_S;
}

const HEALTH = new Set(['starting', 'healthy', 'unhealthy']);

/** Docker's inspect output → the protocol's ObservedContainer. */
export function observe(info: Docker.ContainerInspectInfo): ObservedContainer {
  const labels = info.Config.Labels ?? {};
  const state = info.State;
  const status = state.Status as DockerState;
  const health = (state as { Health?: { Status?: string } }).Health?.Status;
  const out: ObservedContainer = {
    name: labels[LABELS.name] ?? info.Name.replace(/^\//, ''),
    containerID: info.Id,
    image: info.Config.Image,
    imageID: info.Image,
    state: status,
    health: health && HEALTH.has(health) ? health as ObservedContainer['health'] : 'none',
    restartCount: info.RestartCount ?? 0,
  };
  if (!isDockerZeroTime(state.StartedAt)) out.startedAt = state.StartedAt;
  if (!isDockerZeroTime(state.FinishedAt)) out.finishedAt = state.FinishedAt;
  // The exit code means something only once the container has stopped at least once.
  if (out.finishedAt && status !== 'running') out.exitCode = state.ExitCode;
  if (labels[LABELS.specHash]) out.specHash = labels[LABELS.specHash];
  if (labels[LABELS.hostUid]) out.hostUid = labels[LABELS.hostUid];
  return out;
}
