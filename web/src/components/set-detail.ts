// <berth-set-detail>: one ContainerSet's rollout, live — the summary (phase, target and current
// revision, failure), its conditions, and a grid of hosts: each cell the host (a link), the
// revision it runs, where it stands in words (available / ready / updating / old / failed) and the
// message. Trouble sorts first; large fleets page (lib/set-grid). Text, not colour, carries meaning.
import { css, html, LitElement, nothing } from 'lit';
import type { SetView } from '../../../protocol/api-views.js';
import { relativeTime } from '../lib/format.js';
import { hrefFor } from '../lib/route.js';
import { gridPage, summarize } from '../lib/set-grid.js';
import { base } from '../lib/styles.js';
import './conditions.js';
import { selectorText } from './set-list.js';

export class BerthSetDetail extends LitElement {
  static override properties = { set: { attribute: false }, now: { type: Number }, page: { state: true } };
  declare set: SetView;
  declare now: number;
  declare page: number;

  static override styles = [base, css`
    .summary { display: flex; flex-wrap: wrap; gap: 0.4rem 1rem; align-items: baseline; margin: 0 0 0.8rem; }
    .grid { list-style: none; margin: 0.5rem 0; padding: 0; display: grid; gap: 0.4rem;
      grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); }
    .cell { border: 1px solid var(--border); border-left-width: 0.35rem; border-radius: 0.3rem; padding: 0.35rem 0.5rem;
      background: var(--bg-raised); min-width: 0; }
    .cell.ok { border-left-color: var(--ok); } .cell.warn { border-left-color: var(--warn); } .cell.bad { border-left-color: var(--bad); }
    .cell .host { font-weight: 600; overflow-wrap: anywhere; }
    .cell .line { display: flex; gap: 0.4rem; flex-wrap: wrap; align-items: baseline; font-size: 0.9em; }
    .cell .message { font-size: 0.85em; color: var(--fg-muted); overflow-wrap: anywhere; margin-top: 0.15rem; }
    .pager { display: flex; gap: 0.6rem; align-items: center; }
    dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 0.8rem; margin: 0 0 0.8rem; }
    dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
  `];

  constructor() {
    super();
    this.now = Date.now();
    this.page = 0;
  }

  override render() {
    const s = this.set;
    const sum = summarize(s);
    const r = s.status.rollout;
    const grid = gridPage(s, this.page);
    const { namespace } = s.metadata;
    return html`
      <p class="summary" id="summary" role="status" aria-live="polite">
        <span class="badge ${sum.badge}">${sum.phase}</span>
        <span>${sum.text}</span>
        <span>revision ${sum.target ?? '—'}${sum.current && sum.current !== sum.target ? ` (from ${sum.current})` : ''}</span>
        ${s.spec.paused ? html`<span class="badge warn">paused</span>` : nothing}
      </p>
      ${r?.phase === 'Failed' || r?.phase === 'RollingBack' ? html`<p class="notice bad" role="alert" id="failure">
        Rollout ${r.phase === 'RollingBack' ? 'failed and is rolling back' : 'failed'}${r.failedHost ? ` on ${r.failedHost}` : ''}${r.failedContainer ? `, container ${r.failedContainer}` : ''}${r.message ? `: ${r.message}` : ''}</p>` : nothing}
      <dl>
        <dt>Hosts</dt><dd>${selectorText(s.spec.hostSelector)}</dd>
        <dt>Strategy</dt><dd>${s.spec.updateStrategy?.type ?? '—'}${s.spec.updateStrategy?.rollingUpdate ? `, max unavailable ${s.spec.updateStrategy.rollingUpdate.maxUnavailable}, min ready ${s.spec.updateStrategy.rollingUpdate.minReadySeconds} s` : ''}${s.spec.updateStrategy?.failurePolicy ? `, on failure ${s.spec.updateStrategy.failurePolicy}` : ''}</dd>
        ${s.spec.imageUpdates?.policy === 'Poll' ? html`<dt>Image updates</dt><dd>poll every ${s.spec.imageUpdates.intervalSeconds} s</dd>` : nothing}
      </dl>
      <berth-conditions .conditions=${s.status.conditions ?? []}></berth-conditions>
      <h2>Hosts</h2>
      ${grid.total === 0 ? html`<p class="notice">No host is selected by this set yet.</p>` : html`
        <ul class="grid" aria-label="Hosts of this set">${grid.cells.map((c) => html`
          <li class="cell ${c.badge}" data-host=${c.host} data-state=${c.state}>
            <a class="host" href=${hrefFor({ view: 'host', namespace, name: c.host })}>${c.host}</a>
            <div class="line"><span>${c.revision}</span><span class="badge ${c.badge}">${c.state}</span>
              ${c.since ? html`<time class="muted" datetime=${c.since} title=${c.since}>${relativeTime(c.since, this.now)}</time>` : nothing}</div>
            ${c.message ? html`<div class="message">${c.message}</div>` : nothing}
            ${c.images ? html`<div class="message" title="image IDs">${c.images}</div>` : nothing}
          </li>`)}
        </ul>
        ${grid.pages > 1 ? html`<div class="pager">
          <button type="button" ?disabled=${grid.page === 0} @click=${() => { this.page = grid.page - 1; }}>Previous</button>
          <span role="status">page ${grid.page + 1} of ${grid.pages} (${grid.total} hosts)</span>
          <button type="button" ?disabled=${grid.page >= grid.pages - 1} @click=${() => { this.page = grid.page + 1; }}>Next</button>
        </div>` : nothing}`}`;
  }
}
customElements.define('berth-set-detail', BerthSetDetail);

declare global { interface HTMLElementTagNameMap { 'berth-set-detail': BerthSetDetail } }
