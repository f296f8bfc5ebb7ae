// <berth-log-tail namespace host container>: a live tail of one container's output.
//  - Follow mode: sticks to the newest line; scrolling up pauses it and says so (with the count of
//    new lines), and the view is never moved under the reader — not even when old lines are
//    evicted. Resume (or scrolling back to the bottom, or End) follows again.
//  - Filters: stdout / stderr, search with highlight (Enter / Shift+Enter: next / previous match),
//    "only matching lines"; a timestamps toggle.
//  - Markers for dropped lines (gap) and waiting periods; a connection indicator; reconnects with
//    backoff, skipping replayed lines already shown.
//  - Virtualized: fixed-height rows, only those in view are in the DOM; the last 100 000 rows kept.
// The logic lives in plain modules (lib/line-store, log-view, follow, virtual, log-frames).
import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { cssomStyle } from '../directives/cssom-style.js';
import { MAX_LOG_TAIL } from '../../../protocol/log-viewer.js';
import { FollowState } from '../lib/follow.js';
import { logTime } from '../lib/format.js';
import { LineStore, type Row } from '../lib/line-store.js';
import { ReplayFilter } from '../lib/log-frames.js';
import { defaultFilter, LogView, type ViewFilter } from '../lib/log-view.js';
import { highlight } from '../lib/search.js';
import { base } from '../lib/styles.js';
import { visibleWindow } from '../lib/virtual.js';
import { LogSocket, type SocketState } from '../services/log-socket.js';

const ROW_PX = 20;
const CAPACITY = 100_000;

export class BerthLogTail extends LitElement {
  static override properties = {
    namespace: { type: String }, host: { type: String }, container: { type: String },
    conn: { state: true }, filter: { state: true }, timestamps: { state: true }, tick: { state: true },
    current: { state: true },
  };
  declare namespace: string;
  declare host: string;
  declare container: string;
  declare conn: SocketState;
  declare filter: ViewFilter;
  declare timestamps: boolean;
  /** Bumped to re-render when rows arrive or the view scrolls. */
  declare tick: number;
  /** The view index of the current search match. */
  declare current: number;

  readonly store = new LineStore(CAPACITY);
  readonly view = new LogView(this.store);
  readonly follow = new FollowState();
  private readonly replay = new ReplayFilter();
  private socket: LogSocket | undefined;
  private lastTop = 0;
  private adjustPx = 0;
  private resize: ResizeObserver | undefined;
  private frame = 0;

  static override styles = [base, css`
    :host { display: flex; flex-direction: column; gap: 0.5rem; }
    .bar { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; }
    .group { display: flex; flex-wrap: wrap; gap: 0.4rem; align-items: center; }
    .search { flex: 1 1 14rem; display: flex; gap: 0.3rem; align-items: center; min-width: 0; }
    .search input[type="search"] { flex: 1 1 auto; min-width: 6rem; }
    label.check { display: inline-flex; gap: 0.3rem; align-items: center; white-space: nowrap; }
    .conn { display: inline-flex; align-items: center; gap: 0.4rem; font-weight: 600; }
    .dot { width: 0.7rem; height: 0.7rem; border-radius: 50%; background: var(--fg-muted); flex: none; }
    .dot.live { background: var(--ok); }
    .dot.waiting, .dot.connecting, .dot.reconnecting { background: var(--warn); }
    .dot.refused, .dot.stopped { background: var(--bad); }
    .follow { display: flex; align-items: center; gap: 0.6rem; min-height: 2.2rem; flex-wrap: wrap; }
    .paused { color: var(--warn); font-weight: 600; }
    .viewport {
      height: max(16rem, 60vh); overflow: auto; background: var(--bg-sunken); border: 1px solid var(--border);
      border-radius: 6px; font-family: var(--mono); font-size: 13px; position: relative; overscroll-behavior: contain;
    }
    .spacer { position: relative; min-width: 100%; width: max-content; }
    .rows { will-change: transform; }
    .row { height: ${ROW_PX}px; line-height: ${ROW_PX}px; white-space: pre; padding: 0 0.6rem 0 0.4rem; border-left: 3px solid transparent; }
    .row.err { color: var(--err-line); border-left-color: var(--err-line); }
    .row.marker { color: var(--warn); background: var(--warn-bg); font-family: var(--font); font-weight: 600; }
    .row.notice { color: var(--fg-muted); font-family: var(--font); font-style: italic; }
    .row.current { background: var(--bg-raised); outline: 1px solid var(--focus); outline-offset: -1px; }
    .ts { color: var(--fg-muted); margin-right: 0.8rem; }
    mark { background: var(--mark-bg); color: var(--mark-fg); border-radius: 2px; }
    .empty { padding: 0.6rem; color: var(--fg-muted); font-family: var(--font); }
    .stats { font-size: 0.85em; }
  `];

  constructor() {
    super();
    this.namespace = '';
    this.host = '';
    this.container = '';
    this.conn = { kind: 'connecting' };
    this.filter = defaultFilter;
    this.timestamps = false;
    this.tick = 0;
    this.current = -1;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.resize = new ResizeObserver(() => { this.tick++; });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.socket?.stop();
    this.socket = undefined;
    this.resize?.disconnect();
    cancelAnimationFrame(this.frame);
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if ((changed.has('namespace') || changed.has('host') || changed.has('container')) && this.namespace && this.host && this.container) this.connect();
  }

  private connect(): void {
    this.socket?.stop();
    this.store.clear();
    this.view.setFilter(this.filter);
    this.follow.resume();
    this.socket = new LogSocket({ namespace: this.namespace, host: this.host, container: this.container, tail: MAX_LOG_TAIL }, {
      state: (s) => { this.conn = s; },
      reconnecting: () => { this.replay.reconnecting(); },
      frame: (f) => {
        if (f.type === 'lines') { for (const e of f.entries) if (this.replay.accept(e)) this.add({ kind: 'line', t: e.t, s: e.s, l: e.l }); }
        else if (f.type === 'gap') this.add({ kind: 'gap', dropped: f.dropped });
        else if (f.type === 'waiting') this.add({ kind: 'waiting', reason: f.reason });
        else if (f.type === 'error') this.add({ kind: 'notice', text: `error: ${f.message}` });
      },
    });
    this.socket.start();
  }

  /** Append a row; keep a paused reader's place when old rows are evicted. */
  add(data: Parameters<LineStore['push']>[0]): void {
    const { row } = this.store.push(data);
    const shown = this.view.appended(row);
    const dropped = this.view.trim();
    if (shown) this.follow.appended(1);
    if (!this.follow.following && dropped) this.adjustPx += dropped * ROW_PX;
    if (this.current >= 0) this.current = Math.max(-1, this.current - dropped);
    this.scheduleRender();
  }

  private scheduleRender(): void {
    if (this.frame) return;
    // Rows may arrive thousands a second: draw at most once per frame.
    this.frame = requestAnimationFrame(() => { this.frame = 0; this.tick++; });
  }

  private get viewport(): HTMLElement | null { return this.renderRoot.querySelector('.viewport'); }

  private onScroll = (): void => {
    const v = this.viewport;
    if (!v) return;
    this.lastTop = v.scrollTop;
    this.follow.scrolled({ scrollTop: v.scrollTop, clientHeight: v.clientHeight, scrollHeight: v.scrollHeight });
    this.scheduleRender();
  };

  private resume = (): void => {
    this.follow.resume();
    this.current = -1;
    this.tick++;
  };

  private setFilter(patch: Partial<ViewFilter>): void {
    this.filter = { ...this.filter, ...patch };
    this.view.setFilter(this.filter);
    this.current = -1;
  }

  private jump(dir: 1 | -1): void {
    const from = this.current >= 0 ? this.current : dir === 1 ? -1 : this.view.length;
    const i = this.view.findMatch(from, dir);
    if (i === undefined) return;
    this.current = i;
    const v = this.viewport;
    if (!v) return;
    // Looking at a match is reading back: follow pauses (the scroll handler notices).
    v.scrollTop = Math.max(0, i * ROW_PX - v.clientHeight / 2);
    this.onScroll();
  }

  private onSearchKey = (e: KeyboardEvent): void => {
    if (e.key === 'Enter') { e.preventDefault(); this.jump(e.shiftKey ? -1 : 1); }
    if (e.key === 'Escape') { this.setFilter({ query: '' }); (e.target as HTMLInputElement).value = ''; }
  };

  private onViewportKey = (e: KeyboardEvent): void => {
    if (e.key === 'End') { e.preventDefault(); this.resume(); return; }
    // Scroll keys move the view at once, not with the browser's smooth animation: an animation
    // still running when the reader presses End or Resume would carry the view up again and pause
    // follow behind their back (Chromium does not reliably cancel a keyboard scroll animation on a
    // programmatic scrollTo).
    const v = this.viewport;
    if (!v) return;
    const page = Math.max(ROW_PX, v.clientHeight - ROW_PX);
    const delta = ({ PageUp: -page, PageDown: page, ArrowUp: -ROW_PX, ArrowDown: ROW_PX, Home: -v.scrollHeight } as Record<string, number>)[e.key];
    if (delta === undefined) return;
    e.preventDefault();
    v.scrollTop = Math.max(0, v.scrollTop + delta);
    this.onScroll();
  };

  protected override firstUpdated(): void {
    const v = this.viewport;
    if (v) this.resize?.observe(v);
  }

  protected override updated(): void {
    const v = this.viewport;
    if (!v) return;
    if (this.follow.following && v.scrollTop < this.lastTop - 1) {
      // The reader scrolled up and its scroll event is not handled yet: pause, never pull them back.
      this.onScroll();
    }
    if (this.follow.following) {
      const bottom = v.scrollHeight - v.clientHeight;
      // 'instant' also cancels a smooth scroll still running (a PageUp just before Resume).
      if (Math.abs(v.scrollTop - bottom) > 1) v.scrollTo({ top: bottom, behavior: 'instant' });
      this.lastTop = v.scrollTop;
    } else if (this.adjustPx) {
      v.scrollTop = Math.max(0, v.scrollTop - this.adjustPx);
      this.lastTop = v.scrollTop;
    }
    this.adjustPx = 0;
  }

  override render() {
    const v = this.viewport;
    const viewportPx = v?.clientHeight ?? 480;
    const count = this.view.length;
    const top = this.follow.following ? Math.max(0, count * ROW_PX - viewportPx) : Math.max(0, this.lastTop - this.adjustPx);
    const w = visibleWindow({ scrollTop: top, viewportPx, rowPx: ROW_PX, count });
    const rows: Row[] = [];
    for (let i = w.start; i < w.end; i++) { const r = this.view.at(i); if (r) rows.push(r); }
    const matches = this.filter.query ? this.view.countMatches() : 0;
    return html`
      <div class="bar">
        ${this.renderConn()}
        <span class="stats muted" data-lines=${count}>${count.toLocaleString('en')} ${count === 1 ? 'row' : 'rows'} shown${this.store.size >= CAPACITY ? ' (newest 100 000 kept)' : ''}</span>
      </div>
      <div class="bar" role="group" aria-label="Log filters">
        <div class="group">
          <label class="check"><input type="checkbox" .checked=${this.filter.out} @change=${(e: Event) => this.setFilter({ out: (e.target as HTMLInputElement).checked })}> stdout</label>
          <label class="check"><input type="checkbox" .checked=${this.filter.err} @change=${(e: Event) => this.setFilter({ err: (e.target as HTMLInputElement).checked })}> stderr</label>
          <label class="check"><input type="checkbox" .checked=${this.timestamps} @change=${(e: Event) => { this.timestamps = (e.target as HTMLInputElement).checked; }}> timestamps <span class="visually-hidden">(UTC)</span></label>
        </div>
        <div class="search">
          <label for="search" class="visually-hidden">Search the log</label>
          <input id="search" type="search" placeholder="Search" autocomplete="off" .value=${this.filter.query}
            @input=${(e: Event) => this.setFilter({ query: (e.target as HTMLInputElement).value })} @keydown=${this.onSearchKey}
            aria-describedby="match-count">
          <button type="button" @click=${() => this.jump(-1)} ?disabled=${!matches} aria-label="Previous match">↑</button>
          <button type="button" @click=${() => this.jump(1)} ?disabled=${!matches} aria-label="Next match">↓</button>
          <span id="match-count" class="muted" aria-live="polite">${this.filter.query ? `${matches.toLocaleString('en')} ${matches === 1 ? 'match' : 'matches'}` : ''}</span>
          <label class="check"><input type="checkbox" .checked=${this.filter.onlyMatches} @change=${(e: Event) => this.setFilter({ onlyMatches: (e.target as HTMLInputElement).checked })}> only matching</label>
        </div>
      </div>
      <div class="follow" role="status" aria-live="polite">
        ${this.follow.following
          ? html`<span class="following">Following new lines</span>`
          : html`<span class="paused">Paused: you scrolled up${this.follow.unseen ? ` — ${this.follow.unseen.toLocaleString('en')} new ${this.follow.unseen === 1 ? 'line' : 'lines'} below` : ''}</span>
                 <button type="button" class="primary resume" @click=${this.resume}>Resume following</button>`}
      </div>
      <div class="viewport" tabindex="0" role="region" aria-label="Log of ${this.container} (newest at the bottom; End resumes following)"
        @scroll=${this.onScroll} @keydown=${this.onViewportKey}>
        <div class="spacer" style=${cssomStyle({ height: `${w.totalPx}px` })}>
          <div class="rows" style=${cssomStyle({ transform: `translateY(${w.offsetPx}px)` })}>
            ${rows.map((r, k) => this.renderRow(r, w.start + k))}
          </div>
        </div>
        ${count === 0 ? html`<div class="empty">No lines yet.</div>` : nothing}
      </div>`;
  }

  private renderConn() {
    const c = this.conn;
    const text = c.kind === 'live' ? 'Live'
      : c.kind === 'connecting' ? 'Connecting…'
      : c.kind === 'waiting' ? `Waiting: ${c.reason}`
      : c.kind === 'reconnecting' ? `Reconnecting in ${Math.ceil(c.inMs / 1000)} s (${c.why})`
      : c.kind === 'refused' ? `Not allowed: ${c.message}`
      : 'Stopped';
    return html`<span class="conn" role="status" aria-live="polite" data-state=${c.kind}><span class="dot ${c.kind}" aria-hidden="true"></span>${text}</span>`;
  }

  private renderRow(r: Row, index: number) {
    switch (r.kind) {
      case 'line': {
        const pieces = highlight(r.l, this.view.search);
        return html`<div class="row ${r.s === 'err' ? 'err' : ''} ${index === this.current ? 'current' : ''}" data-seq=${r.seq}>${this.timestamps ? html`<span class="ts" title="${r.t} (UTC)">${logTime(r.t)}</span>` : nothing}${r.s === 'err' ? html`<span class="visually-hidden">stderr: </span>` : nothing}${pieces.map((p) => (p.match ? html`<mark>${p.text}</mark>` : p.text))}${r.cut ? html`<span class="muted"> … (line cut)</span>` : nothing}</div>`;
      }
      case 'gap':
        return html`<div class="row marker gap" data-seq=${r.seq}>⚠ ${r.dropped.toLocaleString('en')} ${r.dropped === 1 ? 'line' : 'lines'} dropped here (this view fell behind)</div>`;
      case 'waiting':
        return html`<div class="row marker waiting" data-seq=${r.seq}>… Waiting: ${r.reason}</div>`;
      case 'notice':
        return html`<div class="row notice" data-seq=${r.seq}>${r.text}</div>`;
    }
  }
}
customElements.define('berth-log-tail', BerthLogTail);

declare global { interface HTMLElementTagNameMap { 'berth-log-tail': BerthLogTail } }
