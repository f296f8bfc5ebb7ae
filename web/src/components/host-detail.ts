// <berth-host-detail>: one host — its agent, its conditions, and each container's desired state
// beside what Docker reports (state, health, restarts, image and short image ID, last message).
import { css, html, LitElement, nothing } from 'lit';
import type { HostView } from '../../../protocol/api-views.js';
import type { ContainerDecl, ContainerStatus } from '../../../protocol/resources.js';
import type { HostStatsView } from '../../../protocol/stats.js';
import { formatBytes, formatPercent } from '../lib/stats.js';
import { readyClass, stateClass } from '../lib/badges.js';
import { relativeTime, shortId } from '../lib/format.js';
import { hrefFor } from '../lib/route.js';
import { base, table } from '../lib/styles.js';
import './chart.js';
import './conditions.js';
import './stats-panel.js';

export class BerthHostDetail extends LitElement {
  static override properties = { host: { attribute: false }, now: { type: Number }, stats: { attribute: false } };
  declare stats: HostStatsView | undefined;
  declare host: HostView;
  declare now: number;

  static override styles = [base, table, css`
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0; }
    dt { color: var(--fg-muted); font-weight: 600; }
    dd { margin: 0; overflow-wrap: anywhere; }
    .facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 18rem), 1fr)); gap: 1rem; }
    .message { overflow-wrap: anywhere; }
    .usage { display: flex; flex-direction: column; gap: 0.15rem; }
  `];

  constructor() {
    super();
    this.now = Date.now();
    this.stats = undefined;
  }

  override render() {
    const h = this.host;
    const a = h.status.agent;
    const decls = h.spec.containers ?? [];
    const statuses = new Map((h.status.containers ?? []).map((c) => [c.name, c]));
    const names = [...decls.map((d) => d.name), ...[...statuses.keys()].filter((n) => !decls.some((d) => d.name === n))];
    return html`
      <div class="facts">
        <section aria-labelledby="agent-h">
          <h2 id="agent-h">Agent</h2>
          <dl>
            <dt>Connection</dt><dd><span class="badge ${a?.connected ? 'ok' : 'bad'}">${a?.connected ? 'connected' : 'not connected'}</span></dd>
            <dt>Last seen</dt><dd>${relativeTime(a?.lastSeenAt, this.now)}</dd>
            <dt>Connected</dt><dd>${relativeTime(a?.connectedAt, this.now)}</dd>
            <dt>Hostname</dt><dd>${a?.hostname ?? '—'}${a?.os ? html` <span class="muted">(${a.os}/${a.arch ?? '?'})</span>` : nothing}</dd>
            <dt>Agent</dt><dd>${a?.version ?? '—'}</dd>
            <dt>Docker</dt><dd>${a?.dockerVersion ?? '—'}${a?.dockerAPIVersion ? html` <span class="muted">(API ${a.dockerAPIVersion}${a.dockerMinAPIVersion ? `, min ${a.dockerMinAPIVersion}` : ''})</span>` : nothing}</dd>
            <dt>Ready</dt><dd><span class="badge ${readyClass(h.status.ready)}">${h.status.ready ?? '—'}</span>${h.spec.paused ? html` <span class="badge warn">paused</span>` : nothing}</dd>
          </dl>
        </section>
        <section aria-labelledby="cond-h">
          <h2 id="cond-h">Conditions</h2>
          <berth-conditions .conditions=${h.status.conditions ?? []}></berth-conditions>
        </section>
      </div>
      <h2 id="resources-h">Resources (all containers)</h2>
      <berth-stats-panel aria-labelledby="resources-h" .stats=${this.stats}></berth-stats-panel>
      <h2 id="containers-h">Containers</h2>
      ${names.length === 0 ? html`<p class="muted">This host declares no containers.</p>` : html`
      <table aria-labelledby="containers-h">
        <thead><tr>
          <th scope="col">Container</th><th scope="col">Desired</th><th scope="col">Actual</th><th scope="col">Health</th>
          <th scope="col">Restarts</th><th scope="col">Image</th><th scope="col">Last message</th><th scope="col">CPU · memory</th>
        </tr></thead>
        <tbody>${names.map((n) => this.row(n, decls.find((d) => d.name === n), statuses.get(n)))}</tbody>
      </table>`}`;
  }

  /** Sparklines of one container's CPU and memory (the names say the numbers). */
  private usage(name: string) {
    const series = this.stats?.containers.find((c) => c.name === name);
    if (!series) return html`<span class="muted">—</span>`;
    return html`<div class="usage">
      <berth-chart compact class="cpu" label="CPU" .values=${series.cpuPercent} .format=${formatPercent}></berth-chart>
      <berth-chart compact class="memory" label="Memory" .values=${series.memoryBytes} .limit=${series.latest?.memoryLimitBytes} .format=${formatBytes}></berth-chart>
    </div>`;
  }

  private row(name: string, d: ContainerDecl | undefined, s: ContainerStatus | undefined) {
    const { namespace, name: host } = this.host.metadata;
    return html`<tr data-container=${name}>
      <td data-label="Container"><a href=${hrefFor({ view: 'container', namespace, name: host, container: name })}>${name}</a></td>
      <td data-label="Desired">${d?.state ?? html`<span class="muted">not declared</span>`}</td>
      <td data-label="Actual" class="actual"><span class="badge ${stateClass(d, s)}">${s?.state ?? 'not reported'}</span>${s?.exitCode !== undefined && s.state !== 'Running' ? html` <span class="muted">exit ${s.exitCode}</span>` : nothing}</td>
      <td data-label="Health">${s?.health && s.health !== 'none' ? html`<span class="badge ${s.health === 'healthy' ? 'ok' : s.health === 'unhealthy' ? 'bad' : 'warn'}">${s.health}</span>` : html`<span class="muted">—</span>`}</td>
      <td data-label="Restarts">${s?.restartCount ?? 0}</td>
      <td data-label="Image"><div><div class="mono">${s?.image ?? d?.image ?? '—'}</div><div class="mono muted" title=${s?.imageID ?? ''}>${shortId(s?.imageID)}</div></div></td>
      <td data-label="Last message" class="message">${s?.message ?? html`<span class="muted">—</span>`}</td>
      <td data-label="CPU · memory">${this.usage(name)}</td>
    </tr>`;
  }
}
customElements.define('berth-host-detail', BerthHostDetail);

declare global { interface HTMLElementTagNameMap { 'berth-host-detail': BerthHostDetail } }
