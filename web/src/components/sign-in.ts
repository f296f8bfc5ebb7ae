// <berth-sign-in>: Kubernetes mode, or directory mode with --ui-auth token (mode="token": the
// controller's UI token instead of a Kubernetes one). The user pastes a bearer token once; it goes to POST
// /api/v1/session in a JSON body, the controller checks it (TokenReview) and answers with an
// HttpOnly session cookie. The field is cleared at once — the page keeps no copy of the token.
import { css, html, LitElement, nothing } from 'lit';
import { base } from '../lib/styles.js';
import { signIn } from '../services/session.js';

export class BerthSignIn extends LitElement {
  static override properties = { reason: { type: String }, mode: { type: String }, error: { state: true }, busy: { state: true } };
  declare reason: string;
  declare mode: string;
  declare error: string;
  declare busy: boolean;

  static override styles = [base, css`
    form { display: flex; flex-direction: column; gap: 0.6rem; max-width: 36rem; }
    label { font-weight: 600; }
    input { width: 100%; font-family: var(--mono); }
    code { font-family: var(--mono); background: var(--bg-sunken); padding: 0 0.25rem; border-radius: 4px; }
  `];

  constructor() {
    super();
    this.reason = '';
    this.mode = 'kubernetes';
    this.error = '';
    this.busy = false;
  }

  override render() {
    return html`
      <h1 id="sign-in-h" tabindex="-1">Sign in</h1>
      ${this.reason ? html`<p class="notice warn">${this.reason}</p>` : nothing}
      <form @submit=${this.submit} aria-labelledby="sign-in-h">
        <label for="token">${this.mode === 'token' ? 'UI token' : 'Kubernetes bearer token'}</label>
        <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required
          aria-describedby="token-help ${this.error ? 'token-error' : ''}">
        ${this.mode === 'token' ? html`<p id="token-help" class="muted">The content of the file <code>ui-token</code> in the controller's
          state directory (default <code>.berth/state/ui-token</code>) on the machine it runs on. This browser gets a session
          cookie for an hour; the page keeps no copy.</p>` : html`<p id="token-help" class="muted">For example the output of <code>kubectl create token NAME</code>. The controller checks it
          with the Kubernetes API and gives this browser a session cookie for an hour; the page keeps no copy.
          You need RBAC <code>get</code> on <code>containerhosts</code> (and <code>containerhosts/logs</code> for log tails,
          <code>agenttokens</code> for tokens) in group <code>berth.dev</code>.</p>`}
        ${this.error ? html`<p id="token-error" class="notice bad" role="alert">${this.error}</p>` : nothing}
        <div><button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Checking…' : 'Sign in'}</button></div>
      </form>`;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('#token')!;
    const token = input.value;
    input.value = '';
    this.busy = true;
    this.error = '';
    const r = await signIn(token);
    this.busy = false;
    if (!r.ok) { this.error = r.message; input.focus(); return; }
    this.dispatchEvent(new CustomEvent('signed-in', { detail: { user: r.user }, bubbles: true, composed: true }));
  }
}
customElements.define('berth-sign-in', BerthSignIn);

declare global { interface HTMLElementTagNameMap { 'berth-sign-in': BerthSignIn } }
