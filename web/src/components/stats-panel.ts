// <berth-stats-panel>: the resource charts of one container (CPU, memory against its limit, network
// in and out) or, without `container`, the host's totals. Live: the app hands it a new view per sample.
import { css, html, LitElement } from 'lit';
import { cpuPercentOfLimit, type HostStatsView } from '../../../protocol/stats.js';
import { formatBytes, formatPercent, formatRate } from '../lib/stats.js';
import { base } from '../lib/styles.js';
import './chart.js';

export class BerthStatsPanel extends LitElement {
  static override properties = { stats: { attribute: false }, container: { type: String } };
  declare stats: HostStatsView | undefined;
  declare container: string;

  static override styles = [base, css`
    .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 16rem), 1fr)); gap: 0.8rem 1rem; }
  `];

  constructor() {
    super();
    this.stats = undefined;
    this.container = '';
  }

  override render() {
    const v = this.stats;
    if (!v) return html`<p class="muted" role="status">Loading resource history…</p>`;
    const series = this.container ? v.containers.find((c) => c.name === this.container) : { ...v.totals, latest: undefined };
    if (!series || v.t.length === 0) return html`<p class="muted">No resource samples yet: the agent sends them every few seconds while the container runs.</p>`;
    const minutes = Math.round((v.t.length * v.intervalSeconds) / 60);
    const latest = series.latest;
    const limitWords = latest?.cpuLimitCores ? ` · ${formatPercent(cpuPercentOfLimit(latest, v.hostCpus))} of its ${latest.cpuLimitCores}-core limit` : '';
    const cores = v.hostCpus ? ` (of ${v.hostCpus} cores)` : '';
    return html`<div class="charts" data-stats=${this.container || 'totals'}>
      <berth-chart class="cpu" label=${`CPU${cores}`} .values=${series.cpuPercent} .format=${formatPercent} .minutes=${minutes}></berth-chart>
      <berth-chart class="memory" label="Memory" .values=${series.memoryBytes} .limit=${latest?.memoryLimitBytes} .format=${formatBytes} .minutes=${minutes}></berth-chart>
      <berth-chart class="net-rx" label="Network in" .values=${series.netRxBytesPerSec} .format=${formatRate} .minutes=${minutes}></berth-chart>
      <berth-chart class="net-tx" label="Network out" .values=${series.netTxBytesPerSec} .format=${formatRate} .minutes=${minutes}></berth-chart>
    </div>
    ${latest ? html`<p class="muted latest">Now: ${formatPercent(latest.cpuPercent)} CPU${limitWords} · ${formatBytes(latest.memoryBytes)} memory · ${latest.pids} processes · block I/O ${formatBytes(latest.blockReadBytes)} read, ${formatBytes(latest.blockWriteBytes)} written</p>` : ''}`;
  }
}
customElements.define('berth-stats-panel', BerthStatsPanel);

declare global { interface HTMLElementTagNameMap { 'berth-stats-panel': BerthStatsPanel } }
