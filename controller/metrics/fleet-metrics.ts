// The controller's own gauges for dashboards and the chart's alert rules (docs/operations.md,
// "Alerts"): who this process is (berth_build_info), whether it leads (berth_leader), and per-resource
// gauges read from the store at scrape time. Nothing here is kept between scrapes: every value comes
// from the store's cache when Prometheus asks, so the gauges cannot drift from what status says.
//
// Per-host gauges come from the status the leader writes (the conditions AgentConnected and Ready),
// not from this replica's hub: every replica then tells the same story, and a standby (which has no
// agents) does not claim that every agent is gone. Alert rules aggregate with max by (namespace,
// name) so two replicas do not alert twice.
//
// Cardinality: one series per ContainerHost for each host gauge, one per AgentToken with an expiry,
// and one per container that has restarted at least once (a container that never restarted exports
// nothing, so a healthy fleet costs no per-container series).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AgentToken, ContainerHost } from '../api/types.js';

export interface FleetMetricsSource {
  /** This build's version (package.json): the `version` label of berth_build_info. */
  version: string;
  /** Does this replica lead? (Directory mode and a single replica always do.) */
  isLeader: () => boolean;
  hosts: () => readonly ContainerHost[];
  tokens: () => readonly AgentToken[];
}

/** 1 when condition TYPE of the host's status is True, else 0 (absent counts as not True). */
export function conditionValue(host: ContainerHost, type: string): number {
  return host.status?.conditions?.find((c) => c.type === type)?.status === 'True' ? 1 : 0;
}

/** An RFC 3339 time as Unix seconds, or undefined when it is missing or not a time. */
export function unixSeconds(time: string | undefined): number | undefined {
  if (!time) return undefined;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

export function registerFleetMetrics(registry: Registry, src: FleetMetricsSource): void {
  const registers = [registry];
  const build = new Gauge({
    name: 'berth_build_info', help: 'Always 1; the labels say which Berth build and Node.js runtime this controller runs.',
    labelNames: ['version', 'nodejs'], registers,
  });
  build.set({ version: src.version, nodejs: process.versions.node }, 1);
  new Gauge({
    name: 'berth_leader', help: '1 on the replica that leads (reconciles and accepts agents), 0 on a standby.', registers,
    collect() { this.set(src.isLeader() ? 1 : 0); },
  });
  new Gauge({
    name: 'berth_host_agent_connected', help: "1 when the ContainerHost's AgentConnected condition is True, else 0.",
    labelNames: ['namespace', 'name'], registers,
    collect() {
      this.reset();
      for (const h of src.hosts()) this.set({ namespace: h.metadata.namespace, name: h.metadata.name }, conditionValue(h, 'AgentConnected'));
    },
  });
  new Gauge({
    name: 'berth_host_ready', help: "1 when the ContainerHost's Ready condition is True, else 0.",
    labelNames: ['namespace', 'name'], registers,
    collect() {
      this.reset();
      for (const h of src.hosts()) this.set({ namespace: h.metadata.namespace, name: h.metadata.name }, conditionValue(h, 'Ready'));
    },
  });
  // A counter in PromQL's sense (increase() over it; a recreated container starts again at 0, which
  // increase() reads as a reset), mirrored from status at each scrape.
  new Counter({
    name: 'berth_container_restarts_total', help: 'Restarts the Engine counted for a managed container (status.containers[].restartCount), only for containers that restarted at least once.',
    labelNames: ['namespace', 'host', 'container'], registers,
    collect() {
      this.reset();
      for (const h of src.hosts()) {
        for (const c of h.status?.containers ?? []) {
          if ((c.restartCount ?? 0) > 0) this.inc({ namespace: h.metadata.namespace, host: h.metadata.name, container: c.name }, c.restartCount!);
        }
      }
    },
  });
  new Gauge({
    name: 'berth_agent_token_expiry_timestamp_seconds', help: "When the AgentToken's current token expires (status.expiresAt), in Unix seconds.",
    labelNames: ['namespace', 'name'], registers,
    collect() {
      this.reset();
      for (const t of src.tokens()) {
        const at = unixSeconds(t.status?.expiresAt);
        if (at !== undefined) this.set({ namespace: t.metadata.namespace, name: t.metadata.name }, at);
      }
    },
  });
}
