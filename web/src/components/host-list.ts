// <berth-host-list>: every host the viewer may see — agent connection and last contact, agent and
// Docker versions, ready x/y and the conditions with their reasons. Each row links to the host.
import { css, html, LitElement, nothing } from 'lit';
import type { HostView } from '../../../protocol/api-views.js';
import { readyClass } from '../lib/badges.js';
import { relativeTime } from '../lib/format.js';
import { hrefFor } from '../lib/route.js';
import { base, table } from '../lib/styles.js';
import './conditions.js';

export class BerthHostList extends LitElement {
  static override properties = { hosts: { attribute: false }, now: { type: Number } };
  declare hosts: HostView[];
  declare now: number;

  static override styles = [base, table, css`
    .name { font-weight: 600; }
    .ns { display: block; font-size: 0.85em; }
    .flags { display: flex; gap: 0.3rem; flex-wrap: wrap; margin-top: 0.2rem; }
  `];

  constructor() {
    super();
    this.hosts = [];
    this.now = Date.now();
  }

  override render() {
    if (!this.hosts.length) return html`<p class="notice">No container hosts are declared (or visible to you) yet.</p>`;
    return html`<table>
      <caption class="visually-hidden">Container hosts</caption>
      <thead><tr><th scope="col">Host</th><th scope="col">Agent</th><th scope="col">Versions</th><th scope="col">Ready</th><th scope="col">Conditions</th></tr></thead>
      <tbody>${this.hosts.map((h) => this.row(h))}</tbody>
    </table>`;
  }

  private row(h: HostView) {
    const { namespace, name } = h.metadata;
    const agent = h.status.agent;
    return html`<tr data-host="${namespace}/${name}">
      <td data-label="Host"><div>
        <a class="name" href=${hrefFor({ view: 'host', namespace, name })}>${name}</a>
        <span class="ns muted">namespace ${namespace}</span>
        <span class="flags">
          ${h.spec.paused ? html`<span class="badge warn">paused</span>` : nothing}
          ${h.metadata.deletionTimestamp ? html`<span class="badge warn">deleting</span>` : nothing}
        </span>
      </div></td>
      <td data-label="Agent"><div>
        <span class="badge ${agent?.connected ? 'ok' : 'bad'}">${agent?.connected ? 'connected' : 'not connected'}</span>
        ${agent?.connected
          // The list is pushed on changes only, and a connected agent's lastSeenAt is not a change
          // (it is not in status): "connected since" stays true, "last seen" would go stale.
          ? html`<div class="muted">connected <time datetime=${agent.connectedAt ?? ''}>${relativeTime(agent.connectedAt, this.now)}</time></div>`
          : html`<div class="muted">last seen <time datetime=${agent?.lastSeenAt ?? ''}>${relativeTime(agent?.lastSeenAt, this.now)}</time></div>`}
      </div></td>
      <td data-label="Versions"><div>
        <div>agent ${agent?.version ?? '—'}</div>
        <div>Docker ${agent?.dockerVersion ?? '—'}</div>
      </div></td>
      <td data-label="Ready"><span class="badge ${readyClass(h.status.ready)}" aria-label="ready ${h.status.ready ?? 'unknown'}">${h.status.ready ?? '—'}</span></td>
      <td data-label="Conditions"><berth-conditions compact .conditions=${h.status.conditions ?? []}></berth-conditions></td>
    </tr>`;
  }
}
customElements.define('berth-host-list', BerthHostList);

declare global { interface HTMLElementTagNameMap { 'berth-host-list': BerthHostList } }
