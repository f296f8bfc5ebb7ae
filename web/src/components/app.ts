// <berth-app>: the page shell — header with navigation and the live-feed indicator, history routing
// (deep links per host and container), the sign-in form in Kubernetes mode, and the views. It holds
// the one picture of the cluster (lib/model) and feeds it to the views as properties.
import { css, html, LitElement, nothing } from 'lit';
import type { BrowserSessionView } from '../../../protocol/api-views.js';
import type { HostStatsView } from '../../../protocol/stats.js';
import { HostStatsTracker } from '../services/host-stats.js';
import { applyChanges, emptyModel, fromSnapshot, sortedHosts, sortedSets, type Model } from '../lib/model.js';
import { hrefFor, parseRoute, titleFor, type Route } from '../lib/route.js';
import { base } from '../lib/styles.js';
import { LiveFeed, type FeedState } from '../services/live.js';
import { signOut, whoAmI } from '../services/session.js';
import './container-view.js';
import './host-detail.js';
import './host-list.js';
import './set-detail.js';
import './set-list.js';
import './sign-in.js';
import './sources-view.js';
import './tokens-view.js';

export class BerthApp extends LitElement {
  static override properties = {
    route: { state: true }, model: { state: true }, feed: { state: true }, session: { state: true },
    now: { state: true }, loaded: { state: true }, stats: { state: true },
  };
  /** The resource history of the host on screen (services/host-stats.ts). */
  declare stats: HostStatsView | undefined;
  private readonly statsTracker = new HostStatsTracker((v) => { this.stats = v; });
  declare route: Route;
  declare model: Model;
  declare feed: FeedState;
  /** What the sign-in form asks for: a Kubernetes token, or directory mode's UI token. */
  private signInMode = 'kubernetes';
  declare session: BrowserSessionView | undefined;
  declare now: number;
  /** A snapshot has arrived (until then, views say "loading" rather than "nothing here"). */
  declare loaded: boolean;

  private readonly live = new LiveFeed({
    snapshot: (s) => { this.model = fromSnapshot(s); this.loaded = true; this.statsTracker.refresh(); },
    stats: (s) => { this.statsTracker.sample(s); },
    changes: (c) => { this.model = applyChanges(this.model, c); },
    state: (s) => { this.feed = s; },
    session: (info) => { this.session = info; },
  });
  private clock: ReturnType<typeof setInterval> | undefined;
  private focusHeading = false;

  static override styles = [base, css`
    :host { min-height: 100vh; display: flex; flex-direction: column; }
    .skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: 0.5rem; z-index: 2; }
    .skip:focus { left: 0.5rem; }
    header { display: flex; flex-wrap: wrap; gap: 0.4rem 1.2rem; align-items: center; padding: 0.6rem 1rem;
      border-bottom: 1px solid var(--border); background: var(--bg-raised); }
    .brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); text-decoration: none; }
    nav ul { display: flex; gap: 0.2rem 1rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
    nav a { text-decoration: none; font-weight: 600; padding: 0.2rem 0; }
    nav a[aria-current='page'] { text-decoration: underline; text-decoration-thickness: 3px; }
    .right { margin-left: auto; display: flex; gap: 0.8rem; align-items: center; flex-wrap: wrap; }
    .live { display: inline-flex; gap: 0.4rem; align-items: center; font-size: 0.9rem; }
    .dot { width: 0.65rem; height: 0.65rem; border-radius: 50%; background: var(--warn); }
    .dot.live { background: var(--ok); }
    .dot.bad { background: var(--bad); }
    main { padding: 1rem; flex: 1; max-width: 90rem; width: 100%; margin: 0 auto; }
    .crumbs { font-size: 0.9rem; margin-bottom: 0.3rem; }
    .count { font-size: 0.75rem; }
    h1:focus { outline: none; }
  `];

  constructor() {
    super();
    this.route = parseRoute(location.pathname);
    this.model = emptyModel;
    this.feed = { kind: 'connecting' };
    this.session = undefined;
    this.now = Date.now();
    this.loaded = false;
    this.stats = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    addEventListener('popstate', this.onPopState);
    this.addEventListener('click', this.onClick);
    this.addEventListener('signed-in', this.onSignedIn);
    // Relative times ("5 s ago") tick on their own; no request is made for it.
    this.clock = setInterval(() => { this.now = Date.now(); }, 5000);
    void this.boot();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('popstate', this.onPopState);
    clearInterval(this.clock);
    this.live.stop();
  }

  private async boot(): Promise<void> {
    const who = await whoAmI();
    if (who.kind === 'signed-out') { if (who.mode) this.signInMode = who.mode; this.feed = { kind: 'signed-out', message: who.message }; return; }
    if (who.kind === 'ok') { this.session = who.info; this.signInMode = who.info.mode; }
    this.live.start();
  }

  private onSignedIn = (): void => {
    this.focusHeading = true;
    void this.boot();
  };

  private async doSignOut(): Promise<void> {
    this.live.stop();
    await signOut();
    this.model = emptyModel;
    this.loaded = false;
    this.session = undefined;
    this.feed = { kind: 'signed-out', message: 'You signed out.' };
  }

  private onPopState = (): void => { this.route = parseRoute(location.pathname); this.focusHeading = true; };

  /** Same-origin links navigate in place (history routing); modified clicks open tabs as usual. */
  private onClick = (e: MouseEvent): void => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
    if (!a || a.target || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    if (url.pathname !== location.pathname) history.pushState(null, '', url.pathname);
    this.route = parseRoute(url.pathname);
    this.focusHeading = true;
  };

  protected override willUpdate(): void {
    const r = this.route;
    this.statsTracker.follow(r.view === 'host' || r.view === 'container' ? { namespace: r.namespace, name: r.name } : undefined);
  }

  protected override updated(): void {
    document.title = `${titleFor(this.route)} · Berth`;
    if (this.focusHeading) {
      this.focusHeading = false;
      // Move focus to the new view's heading so screen readers announce the navigation.
      (this.renderRoot.querySelector('main h1') as HTMLElement | null)?.focus();
    }
  }

  override render() {
    const r = this.route;
    const link = (to: Route, label: unknown, current: boolean) => html`<a href=${hrefFor(to)} aria-current=${current ? 'page' : 'false'}>${label}</a>`;
    const problems = this.model.problems.length;
    return html`
      <a class="skip" href="#main" @click=${(e: Event) => { e.preventDefault(); (this.renderRoot.querySelector('main h1') as HTMLElement | null)?.focus(); }}>Skip to content</a>
      <header>
        <a class="brand" href="/">Berth</a>
        <nav aria-label="Main">
          <ul>
            <li>${link({ view: 'hosts' }, 'Hosts', r.view === 'hosts' || r.view === 'host' || r.view === 'container')}</li>
            <li>${link({ view: 'sets' }, 'Sets', r.view === 'sets' || r.view === 'set')}</li>
            <li>${link({ view: 'tokens' }, 'Tokens', r.view === 'tokens')}</li>
            <li>${link({ view: 'sources' }, html`Sources${problems ? html` <span class="badge bad count">${problems}<span class="visually-hidden"> ${problems === 1 ? 'problem' : 'problems'}</span></span>` : nothing}`, r.view === 'sources')}</li>
          </ul>
        </nav>
        <div class="right">
          ${this.renderFeed()}
          ${(this.session?.mode === 'kubernetes' || this.session?.mode === 'token') && this.session.user ? html`<span class="muted">${this.session.user}</span>
            <button type="button" @click=${() => { void this.doSignOut(); }}>Sign out</button>` : nothing}
        </div>
      </header>
      <main id="main">${this.renderMain()}</main>`;
  }

  private renderFeed() {
    const f = this.feed;
    const [cls, text] = f.kind === 'live' ? ['live', 'Live']
      : f.kind === 'connecting' ? ['', 'Connecting…']
      : f.kind === 'reconnecting' ? ['', `Reconnecting in ${Math.ceil(f.inMs / 1000)} s (${f.why})`]
      : f.kind === 'signed-out' ? ['bad', 'Signed out']
      : ['bad', 'No access'];
    return html`<span class="live" role="status" aria-live="polite" data-feed=${f.kind}><span class="dot ${cls}" aria-hidden="true"></span>${text}</span>`;
  }

  private renderMain() {
    const f = this.feed;
    // The first visit needs no explanation; an expired session or a sign-out does.
    if (f.kind === 'signed-out') return html`<berth-sign-in mode=${this.signInMode} reason=${/^sign in with/.test(f.message) ? '' : f.message}></berth-sign-in>`;
    if (f.kind === 'forbidden') {
      return html`<h1 tabindex="-1">No access</h1>
        <p class="notice bad" role="alert" id="forbidden">${f.user ? `Signed in as ${f.user}, but you` : 'You'} may not view container hosts: ${f.message}</p>
        <p>Ask for RBAC <code>get</code> on <code>containerhosts</code> (API group <code>berth.dev</code>), or sign in with another token.</p>
        <button type="button" @click=${() => { void this.doSignOut(); }}>Sign in with another token</button>`;
    }
    const r = this.route;
    const loading = !this.loaded ? html`<p class="muted" role="status">Loading…</p>` : undefined;
    switch (r.view) {
      case 'hosts':
        return html`<h1 tabindex="-1">Hosts</h1>${loading ?? html`<berth-host-list .hosts=${sortedHosts(this.model)} .now=${this.now}></berth-host-list>`}`;
      case 'host': {
        const host = this.model.hosts.get(`${r.namespace}/${r.name}`);
        return html`<div class="crumbs"><a href="/">Hosts</a> / ${r.namespace}</div>
          <h1 tabindex="-1">${r.name}</h1>
          ${loading ?? (host ? html`<berth-host-detail .host=${host} .now=${this.now} .stats=${this.stats}></berth-host-detail>`
            : html`<p class="notice bad" role="alert">No host ${r.namespace}/${r.name} (it is not declared, or not visible to you).</p>`)}`;
      }
      case 'container': {
        const host = this.model.hosts.get(`${r.namespace}/${r.name}`);
        return html`<div class="crumbs"><a href="/">Hosts</a> / ${r.namespace} / <a href=${hrefFor({ view: 'host', namespace: r.namespace, name: r.name })}>${r.name}</a></div>
          <h1 tabindex="-1">${r.container}</h1>
          ${loading ?? (host ? html`<berth-container-view .host=${host} container=${r.container} .now=${this.now} .stats=${this.stats}></berth-container-view>`
            : html`<p class="notice bad" role="alert">No host ${r.namespace}/${r.name} (it is not declared, or not visible to you).</p>`)}`;
      }
      case 'sets':
        return html`<h1 tabindex="-1">Container sets</h1>${loading ?? html`<berth-sets .sets=${sortedSets(this.model)}></berth-sets>`}`;
      case 'set': {
        const set = this.model.sets.get(`${r.namespace}/${r.name}`);
        return html`<div class="crumbs"><a href="/sets">Sets</a> / ${r.namespace}</div>
          <h1 tabindex="-1">${r.name}</h1>
          ${loading ?? (set ? html`<berth-set-detail .set=${set} .now=${this.now}></berth-set-detail>`
            : html`<p class="notice bad" role="alert">No set ${r.namespace}/${r.name} (it is not declared, or not visible to you).</p>`)}`;
      }
      case 'tokens':
        return html`<h1 tabindex="-1">Agent tokens</h1>${loading ?? html`<berth-tokens .tokens=${this.model.tokens ? [...this.model.tokens.values()] : null} message=${this.model.tokensMessage ?? ''} .now=${this.now}></berth-tokens>`}`;
      case 'sources':
        return html`<h1 tabindex="-1">Source problems</h1>${loading ?? html`<berth-sources .problems=${this.model.problems} .now=${this.now}></berth-sources>`}`;
      case 'not-found':
        return html`<h1 tabindex="-1">Not found</h1><p>There is no page at <code>${r.path}</code>. <a href="/">All hosts</a></p>`;
    }
  }
}
customElements.define('berth-app', BerthApp);

declare global { interface HTMLElementTagNameMap { 'berth-app': BerthApp } }
