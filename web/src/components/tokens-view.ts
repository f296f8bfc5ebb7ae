// <berth-tokens>: agent tokens — which host, when issued, when they expire, when last used. Never
// the token itself: the API does not carry it, and this view has nowhere to put it.
import { html, LitElement } from 'lit';
import type { TokenView } from '../../../protocol/api-views.js';
import { statusClass } from '../lib/badges.js';
import { relativeTime } from '../lib/format.js';
import { hrefFor } from '../lib/route.js';
import { base, table } from '../lib/styles.js';

export class BerthTokens extends LitElement {
  static override properties = { tokens: { attribute: false }, message: { type: String }, now: { type: Number } };
  declare tokens: TokenView[] | null;
  declare message: string;
  declare now: number;

  static override styles = [base, table];

  constructor() {
    super();
    this.tokens = [];
    this.message = '';
    this.now = Date.now();
  }

  override render() {
    if (this.tokens === null) return html`<p class="notice bad" role="alert">You may not view agent tokens: ${this.message}</p>`;
    if (!this.tokens.length) return html`<p class="notice">No agent tokens are declared (or visible to you).</p>`;
    const when = (iso: string | undefined, empty: string) => iso ? html`<time datetime=${iso} title=${iso}>${relativeTime(iso, this.now)}</time>` : html`<span class="muted">${empty}</span>`;
    return html`<table>
      <caption class="visually-hidden">Agent tokens</caption>
      <thead><tr><th scope="col">Token</th><th scope="col">Host</th><th scope="col">Issued</th><th scope="col">Expires</th><th scope="col">Last used</th><th scope="col">Ready</th></tr></thead>
      <tbody>${this.tokens.map((t) => {
        const ready = t.status.conditions?.find((c) => c.type === 'Ready');
        const expired = t.status.expiresAt !== undefined && Date.parse(t.status.expiresAt) <= this.now;
        return html`<tr data-token="${t.metadata.namespace}/${t.metadata.name}">
          <td data-label="Token">${t.metadata.name} <span class="muted">(${t.metadata.namespace})</span></td>
          <td data-label="Host"><a href=${hrefFor({ view: 'host', namespace: t.metadata.namespace, name: t.spec.hostRef.name })}>${t.spec.hostRef.name}</a></td>
          <td data-label="Issued">${when(t.status.issuedAt, 'not yet')}</td>
          <td data-label="Expires">${expired ? html`<span class="badge bad">expired</span> ` : ''}${when(t.status.expiresAt, 'never (until deleted)')}</td>
          <td data-label="Last used">${when(t.status.lastUsedAt, 'never')}</td>
          <td data-label="Ready"><span class="badge ${statusClass(ready)}">${ready?.status ?? '—'}</span> <span class="muted">${ready?.reason ?? ''}</span></td>
        </tr>`;
      })}</tbody>
    </table>`;
  }
}
customElements.define('berth-tokens', BerthTokens);

declare global { interface HTMLElementTagNameMap { 'berth-tokens': BerthTokens } }
