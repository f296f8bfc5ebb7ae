// <berth-container-view>: one container of a host — desired vs actual state, health, restarts,
// image — and its live log tail.
import { css, html, LitElement, nothing } from 'lit';
import type { HostView } from '../../../protocol/api-views.js';
import type { HostStatsView } from '../../../protocol/stats.js';
import { stateClass } from '../lib/badges.js';
import { relativeTime, shortId } from '../lib/format.js';
import { base } from '../lib/styles.js';
import './log-tail.js';
import './stats-panel.js';

export class BerthContainerView extends LitElement {
  static override properties = { host: { attribute: false }, container: { type: String }, now: { type: Number }, stats: { attribute: false } };
  declare stats: HostStatsView | undefined;
  declare host: HostView;
  declare container: string;
  declare now: number;

  static override styles = [base, css`
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.3rem 1rem; margin: 0 0 1rem; }
    dt { color: var(--fg-muted); font-weight: 600; }
    dd { margin: 0; overflow-wrap: anywhere; }
  `];

  constructor() {
    super();
    this.container = '';
    this.now = Date.now();
    this.stats = undefined;
  }

  override render() {
    const d = this.host.spec.containers?.find((c) => c.name === this.container);
    const s = this.host.status.containers?.find((c) => c.name === this.container);
    if (!d && !s) return html`<p class="notice bad" role="alert">The host ${this.host.metadata.namespace}/${this.host.metadata.name} has no container "${this.container}".</p>`;
    return html`
      <dl aria-label="Container state">
        <dt>Desired</dt><dd class="desired">${d?.state ?? 'not declared'}</dd>
        <dt>Actual</dt><dd class="actual"><span class="badge ${stateClass(d, s)}">${s?.state ?? 'not reported'}</span>${s?.exitCode !== undefined && s.state !== 'Running' ? html` <span class="muted">exit code ${s.exitCode}</span>` : nothing}</dd>
        <dt>Health</dt><dd>${s?.health ?? '—'}</dd>
        <dt>Restarts</dt><dd>${s?.restartCount ?? 0}</dd>
        <dt>Image</dt><dd class="mono">${s?.image ?? d?.image ?? '—'} <span class="muted" title=${s?.imageID ?? ''}>${shortId(s?.imageID)}</span></dd>
        <dt>Started</dt><dd>${relativeTime(s?.startedAt, this.now)}</dd>
        <dt>Message</dt><dd>${s?.message ?? '—'}</dd>
      </dl>
      <h2 id="resources-h">Resources</h2>
      <berth-stats-panel aria-labelledby="resources-h" .stats=${this.stats} container=${this.container}></berth-stats-panel>
      <h2 id="logs-h">Logs</h2>
      <berth-log-tail aria-labelledby="logs-h" namespace=${this.host.metadata.namespace} host=${this.host.metadata.name} container=${this.container}></berth-log-tail>`;
  }
}
customElements.define('berth-container-view', BerthContainerView);

declare global { interface HTMLElementTagNameMap { 'berth-container-view': BerthContainerView } }
