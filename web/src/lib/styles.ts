// Styles shared by the components (adopted as constructable stylesheets — no inline <style>, so
// the page needs no 'unsafe-inline' in its CSP). Colours come from theme.css custom properties.
import { css } from 'lit';

export const base = css`
  :host { display: block; color: var(--fg); }
  * { box-sizing: border-box; }
  a { color: var(--link); text-underline-offset: 2px; }
  a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, [tabindex]:focus-visible {
    outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 3px;
  }
  h1, h2, h3 { line-height: 1.2; margin: 0 0 0.6rem; }
  h1 { font-size: 1.4rem; }
  h2 { font-size: 1.15rem; margin-top: 1.4rem; }
  .muted { color: var(--fg-muted); }
  .mono { font-family: var(--mono); font-size: 0.9em; }
  .visually-hidden {
    position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
    overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
  }
  button {
    font: inherit; color: var(--fg); background: var(--bg-raised); border: 1px solid var(--border);
    border-radius: 6px; padding: 0.3rem 0.75rem; cursor: pointer; min-height: 2rem;
  }
  button:hover { background: var(--bg-sunken); }
  button.primary { background: var(--link); color: var(--bg); border-color: var(--link); }
  input[type='text'], input[type='search'], input[type='password'] {
    font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--border);
    border-radius: 6px; padding: 0.3rem 0.5rem; min-height: 2rem;
  }
  .badge {
    display: inline-block; border-radius: 999px; padding: 0.05rem 0.55rem; font-size: 0.85em;
    font-weight: 600; background: var(--neutral-bg); white-space: nowrap;
  }
  .badge.ok { color: var(--ok); background: var(--ok-bg); }
  .badge.warn { color: var(--warn); background: var(--warn-bg); }
  .badge.bad { color: var(--bad); background: var(--bad-bg); }
  .notice {
    border: 1px solid var(--border); border-left-width: 4px; border-radius: 6px; padding: 0.6rem 0.9rem;
    background: var(--bg-raised); margin: 0.8rem 0;
  }
  .notice.bad { border-left-color: var(--bad); }
  .notice.warn { border-left-color: var(--warn); }
`;

/** Tables that turn into stacked cards on narrow screens (each cell shows its column name). */
export const table = css`
  table { border-collapse: collapse; width: 100%; }
  caption { text-align: left; font-weight: 600; padding: 0.4rem 0; }
  th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--border); }
  th { font-size: 0.85rem; color: var(--fg-muted); font-weight: 600; background: var(--bg-raised); }
  tbody tr:hover { background: var(--bg-raised); }
  @media (max-width: 700px) {
    table, thead, tbody, tr, th, td { display: block; }
    thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    tr { border: 1px solid var(--border); border-radius: 8px; margin: 0 0 0.8rem; padding: 0.3rem 0; }
    td { border: 0; padding: 0.2rem 0.7rem; display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.2rem 0.5rem; }
    td::before { content: attr(data-label); flex: 0 0 7rem; color: var(--fg-muted); font-size: 0.85rem; font-weight: 600; }
    td > * { max-width: 100%; overflow-wrap: anywhere; }
  }
`;
