// The operator verbs' client of a controller's read-only API. Which controller: --server, else
// BERTH_SERVER, else http://127.0.0.1:7070 (directory mode's default). Credentials: none at first —
// a directory-mode controller is anonymous, and a token is never sent to a server that did not ask
// for one — then, when the controller answers 401 (Kubernetes mode), the bearer token of the
// kubeconfig's current context (--kubeconfig, KUBECONFIG, ~/.kube/config), or, for a directory-mode
// controller with --ui-auth token, its UI token (BERTH_TOKEN_FILE, else .berth/state/ui-token).
// With --kubeconfig given the kubeconfig's token is sent from the first request.
import type { ApiError } from '../../protocol/api-views.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.js';
import { kubeconfigPath, readKubeconfigToken } from './kubeconfig.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:7070';

export interface ClientOptions { server?: string | undefined; kubeconfig?: string | undefined; env?: NodeJS.ProcessEnv }

/** The options every operator verb takes, for parseArgs and for its --help. */
export const CONNECTION_OPTIONS = { server: { type: 'string' }, kubeconfig: { type: 'string' } } as const;
export const CONNECTION_HELP = `Connection:
  --server URL         the controller (default BERTH_SERVER, else ${DEFAULT_SERVER})
  --kubeconfig FILE    Kubernetes mode: whose bearer token to present (default KUBECONFIG,
                       else ~/.kube/config; the current context's user.token or tokenFile)`;

export class ApiClient {
  readonly server: string;
  private token: string | undefined;
  private tokenTried = false;

  constructor(private readonly opts: ClientOptions = {}) {
    const env = opts.env ?? process.env;
    const raw = opts.server || env.BERTH_SERVER || DEFAULT_SERVER;   // an empty BERTH_SERVER is unset
    let url: URL;
    try { url = new URL(raw); } catch { throw new CliError(`--server must be a URL such as ${DEFAULT_SERVER}, not "${raw}"`, 2); }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--server must be an http:// or https:// URL, not "${raw}"`, 2);
    this.server = url.toString().replace(/\/+$/, '');
    if (opts.kubeconfig) this.loadToken();
  }

  /** The Authorization header to send now (none until the controller asked, unless --kubeconfig). */
  headers(): Record<string, string> { return this.token ? { authorization: `Bearer ${this.token}` } : {}; }

  /** GET PATH as JSON; a 401 loads the kubeconfig's token once and retries. Refusals are CliErrors. */
  async get<T>(path: string): Promise<T> {
    let res = await this.fetch(path);
    if (res.status === 401 && !this.tokenTried) { await this.tokenFor401(); res = await this.fetch(path); }
    const text = await res.text();
    if (!res.ok) throw new CliError(refusal(res.status, text, this.token !== undefined), 1, res.status);
    try { return JSON.parse(text) as T; } catch { throw new CliError(`${this.server}${path}: the answer is not JSON — is --server a Berth controller?`); }
  }

  /** GET PATH as JSON, undefined when the controller answers 404. */
  async find<T>(path: string): Promise<T | undefined> {
    try { return await this.get<T>(path); } catch (err) {
      if (err instanceof CliError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** GET PATH as text (e.g. /healthz), undefined when it is not 200. */
  async text(path: string): Promise<string | undefined> {
    const res = await this.fetch(path);
    return res.ok ? res.text() : undefined;
  }

  /** Make sure a token is loaded when the controller needs one (the log socket cannot retry on 401). */
  async ensureAccess(): Promise<void> {
    const res = await this.fetch('/api/v1/session');
    await res.body?.cancel();
    if (res.status === 401 && !this.tokenTried) await this.tokenFor401();
  }

  /**
   * The controller asked for a credential: a directory-mode controller with --ui-auth token says so
   * in GET /api/v1/session ({mode: "token"}), and then its UI token is read (BERTH_TOKEN_FILE, else
   * .berth/state/ui-token); otherwise the kubeconfig's token.
   */
  private async tokenFor401(): Promise<void> {
    const res = await this.fetch('/api/v1/session');
    const mode = ((await res.json().catch(() => ({}))) as { mode?: string }).mode;
    if (mode !== 'token' || this.opts.kubeconfig) { this.loadToken(); return; }
    this.tokenTried = true;
    const env = this.opts.env ?? process.env;
    const file = env.BERTH_TOKEN_FILE || join('.berth', 'state', 'ui-token');
    try { this.token = readFileSync(file, 'utf8').trim(); } catch (err) {
      throw new CliError(`the controller at ${this.server} asks for its UI token (--ui-auth token), and ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): set BERTH_TOKEN_FILE to <controller state>/ui-token`);
    }
  }

  private loadToken(): void {
    this.tokenTried = true;
    const file = kubeconfigPath(this.opts.kubeconfig, this.opts.env ?? process.env);
    try { this.token = readKubeconfigToken(file).token; } catch (err) {
      throw new CliError(`the controller at ${this.server} asks for a Kubernetes bearer token, and ${(err as Error).message}`);
    }
  }

  private async fetch(path: string): Promise<Response> {
    try { return await fetch(`${this.server}${path}`, { headers: this.headers(), signal: AbortSignal.timeout(30_000) }); } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach the controller at ${this.server} (${why}): is it running? Point --server or BERTH_SERVER at it`);
    }
  }
}

/** One line for a refused request, from the API's {error, message}. */
export function refusal(status: number, body: string, sentToken: boolean): string {
  let message = body.trim().slice(0, 500);
  try { const e = JSON.parse(body) as Partial<ApiError>; if (e.message) message = e.message; } catch { /* plain text */ }
  if (status === 401) return `unauthorized: ${message}${sentToken ? '' : ' (give --kubeconfig)'}`;
  if (status === 403) return `forbidden: ${message}`;
  if (status === 404) return message || 'not found';
  return `the controller answered ${status}: ${message}`;
}
