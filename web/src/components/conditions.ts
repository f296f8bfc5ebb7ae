// <berth-conditions>: a host's conditions (AgentConnected, Synced, Ready, Reconciling, Stalled) as
// labelled badges, with the reason and — for anything not in its good state — the message, because that is what an on-call engineer
// needs to read ("Docker unavailable: …").
import { css, html, LitElement, nothing } from 'lit';
import type { Condition } from '../../../protocol/resources.js';
import { conditionGood, statusClass } from '../lib/badges.js';
import { base } from '../lib/styles.js';

export class BerthConditions extends LitElement {
  static override properties = { conditions: { attribute: false }, compact: { type: Boolean } };
  declare conditions: Condition[];
  declare compact: boolean;

  static override styles = [base, css`
    ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 0.25rem; }
    li { display: flex; flex-wrap: wrap; gap: 0.35rem; align-items: baseline; }
    .reason { font-weight: 600; font-size: 0.9em; }
    .message { color: var(--fg-muted); font-size: 0.9em; overflow-wrap: anywhere; flex-basis: 100%; }
  `];

  constructor() {
    super();
    this.conditions = [];
    this.compact = false;
  }

  override render() {
    if (!this.conditions.length) return html`<span class="muted">no conditions yet</span>`;
    return html`<ul aria-label="Conditions">
      ${this.conditions.map((c) => html`<li>
        <span class="badge ${statusClass(c)}">${c.type}: ${c.status}</span>
        ${c.reason ? html`<span class="reason">${c.reason}</span>` : nothing}
        ${c.message && (!this.compact || !conditionGood(c)) ? html`<span class="message">${c.message}</span>` : nothing}
      </li>`)}
    </ul>`;
  }
}
customElements.define('berth-conditions', BerthConditions);

declare global { interface HTMLElementTagNameMap { 'berth-conditions': BerthConditions } }
