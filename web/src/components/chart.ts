// <berth-chart>: a small SVG line chart (or, with `compact`, a sparkline) of one resource series.
// Drawn with Lit's own svg templates — no chart library: nothing builds markup from strings, so the
// page's CSP and Trusted Types need no new allowance (web/README.md says why not uPlot). The numbers
// are also text: the caption (and, for a sparkline, the accessible name) says now / min / max, and
// `data-latest` carries the raw newest value for tests and scripts.
import { css, html, LitElement, nothing, svg } from 'lit';
import { linePath, summarize } from '../lib/stats.js';
import { base } from '../lib/styles.js';

const W = 300, H = 80, SW = 80, SH = 20;

export class BerthChart extends LitElement {
  static override properties = {
    label: { type: String }, values: { attribute: false }, limit: { attribute: false },
    format: { attribute: false }, compact: { type: Boolean }, minutes: { type: Number },
  };
  declare label: string;
  declare values: Array<number | null>;
  /** A ceiling drawn as a dashed line (a memory limit); the scale reaches it. */
  declare limit: number | undefined;
  declare format: (v: number | null) => string;
  declare compact: boolean;
  /** How many minutes the series spans (for the words). */
  declare minutes: number;

  static override styles = [base, css`
    :host { display: block; min-width: 0; }
    figure { margin: 0; }
    figcaption { font-size: 0.9rem; margin-bottom: 0.2rem; display: flex; flex-wrap: wrap; gap: 0 0.5rem; }
    .value { font-weight: 600; font-variant-numeric: tabular-nums; }
    svg { display: block; width: 100%; height: 5rem; background: var(--bg-sunken); border: 1px solid var(--border); border-radius: 4px; }
    :host([compact]) svg { width: 5rem; height: 1.25rem; border: 0; background: none; }
    .line { fill: none; stroke: var(--link); stroke-width: 1.5; vector-effect: non-scaling-stroke; }
    .limit { stroke: var(--warn); stroke-width: 1; stroke-dasharray: 4 3; vector-effect: non-scaling-stroke; }
  `];

  constructor() {
    super();
    this.label = '';
    this.values = [];
    this.limit = undefined;
    this.format = (v) => (v === null ? '—' : String(v));
    this.compact = false;
    this.minutes = 0;
  }

  override render() {
    const s = summarize(this.values);
    const top = Math.max(this.limit ?? 0, (s.max ?? 0) * 1.1) || 1;
    const [w, h] = this.compact ? [SW, SH] : [W, H];
    const words = s.points === 0 ? `${this.label}: no samples yet`
      : `${this.label}: now ${this.format(s.latest)}, min ${this.format(s.min)}, max ${this.format(s.max)}${this.minutes ? ` over the last ${this.minutes} min` : ''}${this.limit ? `, limit ${this.format(this.limit)}` : ''}`;
    const limitY = this.limit ? (h - (this.limit / top) * h).toFixed(1) : undefined;
    const plot = svg`
      ${limitY !== undefined ? svg`<line class="limit" x1="0" x2=${w} y1=${limitY} y2=${limitY}></line>` : nothing}
      <path class="line" d=${linePath(this.values, top, w, h)}></path>`;
    if (this.compact) {
      return html`<svg viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img" aria-label=${words} data-latest=${s.latest ?? ''} data-points=${s.points}>${plot}</svg>`;
    }
    return html`<figure data-latest=${s.latest ?? ''} data-points=${s.points}>
      <figcaption><span>${this.label}</span><span class="value">${this.format(s.latest)}</span>${s.points ? html`<span class="muted">min ${this.format(s.min)} · max ${this.format(s.max)}${this.limit ? html` · limit ${this.format(this.limit)}` : nothing}</span>` : nothing}</figcaption>
      <svg viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" role="img" aria-label=${words}>${plot}</svg>
    </figure>`;
  }
}
customElements.define('berth-chart', BerthChart);

declare global { interface HTMLElementTagNameMap { 'berth-chart': BerthChart } }
