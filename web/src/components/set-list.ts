// <berth-sets>: every ContainerSet the viewer may see — selector, hosts updated/ready/available,
// the rollout's phase and revision, conditions. Each row links to the set's rollout grid.
import { css, html, LitElement } from 'lit';
import type { SetView } from '../../../protocol/api-views.js';
import { hrefFor } from '../lib/route.js';
import { summarize } from '../lib/set-grid.js';
import { base, table } from '../lib/styles.js';
import './conditions.js';

/** "tier=edge, zone in (a,b)" — how kubectl prints a selector; "every host" for an empty one. */
export function selectorText(s: SetView['spec']['hostSelector'] | undefined): string {
  const parts = [
    ...Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(s?.matchExpressions ?? []).map((e) => (e.operator === 'Exists' ? e.key : e.operator === 'DoesNotExist' ? `!${e.key}`
      : `${e.key} ${e.operator === 'In' ? 'in' : 'notin'} (${(e.values ?? []).join(',')})`)),
  ];
  return parts.length ? parts.join(', ') : 'every host';
}

export class BerthSets extends LitElement {
  static override properties = { sets: { attribute: false } };
  declare sets: SetView[];

  static override styles = [base, table, css`.name { font-weight: 600; } .ns { display: block; font-size: 0.85em; }`];

  constructor() {
    super();
    this.sets = [];
  }

  override render() {
    if (!this.sets.length) return html`<p class="notice">No container sets are declared (or visible to you).</p>`;
    return html`<table>
      <caption class="visually-hidden">Container sets</caption>
      <thead><tr><th scope="col">Set</th><th scope="col">Hosts</th><th scope="col">Rollout</th><th scope="col">Revision</th><th scope="col">Conditions</th></tr></thead>
      <tbody>${this.sets.map((s) => {
        const { namespace, name } = s.metadata;
        const sum = summarize(s);
        return html`<tr data-set="${namespace}/${name}">
          <td data-label="Set"><div><a class="name" href=${hrefFor({ view: 'set', namespace, name })}>${name}</a>
            <span class="ns muted">namespace ${namespace} · ${selectorText(s.spec.hostSelector)}</span></div></td>
          <td data-label="Hosts">${sum.text}</td>
          <td data-label="Rollout"><span class="badge ${sum.badge}">${sum.phase}</span>${s.spec.paused ? html` <span class="badge warn">paused</span>` : ''}</td>
          <td data-label="Revision">${sum.target ?? '—'}${sum.current && sum.current !== sum.target ? html` <span class="muted">(from ${sum.current})</span>` : ''}</td>
          <td data-label="Conditions"><berth-conditions compact .conditions=${s.status.conditions ?? []}></berth-conditions></td>
        </tr>`;
      })}</tbody>
    </table>`;
  }
}
customElements.define('berth-sets', BerthSets);

declare global { interface HTMLElementTagNameMap { 'berth-sets': BerthSets } }
