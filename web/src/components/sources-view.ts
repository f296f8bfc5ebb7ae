// <berth-sources>: sources that fail to read or validate — in directory mode a manifest file (its
// resources keep their last good version meanwhile), in Kubernetes mode a failing informer.
import { css, html, LitElement, nothing } from 'lit';
import type { SourceProblem } from '../../../protocol/api-views.js';
import { relativeTime } from '../lib/format.js';
import { base } from '../lib/styles.js';

export class BerthSources extends LitElement {
  static override properties = { problems: { attribute: false }, now: { type: Number } };
  declare problems: readonly SourceProblem[];
  declare now: number;

  static override styles = [base, css`
    ul { list-style: none; padding: 0; margin: 0; }
    li { margin: 0 0 0.8rem; }
    .where { font-family: var(--mono); font-weight: 600; overflow-wrap: anywhere; }
    .what { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.3rem 0 0; font-family: var(--mono); font-size: 0.9em; }
  `];

  constructor() {
    super();
    this.problems = [];
    this.now = Date.now();
  }

  override render() {
    if (!this.problems.length) return html`<p class="notice">No problems: every source reads and validates.</p>`;
    return html`<p>Resources from a source with a problem keep their last good version until it is fixed.</p>
      <ul aria-label="Source problems">${this.problems.map((p) => html`<li class="notice bad">
        <div class="where">${p.source}${p.line !== undefined ? html`:${p.line}` : nothing}</div>
        <p class="what">${p.message}</p>
        <div class="muted">since <time datetime=${p.since} title=${p.since}>${relativeTime(p.since, this.now)}</time></div>
      </li>`)}</ul>`;
  }
}
customElements.define('berth-sources', BerthSources);

declare global { interface HTMLElementTagNameMap { 'berth-sources': BerthSources } }
