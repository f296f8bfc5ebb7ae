// The bearer token of a kubeconfig's current context, read with the `yaml` package — cli/ must not
// load @kubernetes/client-node (only controller/kube/ may; test/architecture/boundaries.test.ts).
// Deliberately minimal: `token` and `tokenFile`. Exec plugins, auth providers and client
// certificates are refused with a message that says so, instead of failing obscurely later.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { CliError } from './errors.js';

interface KubeUser { token?: string; tokenFile?: string; exec?: unknown; 'auth-provider'?: unknown; 'client-certificate'?: string; 'client-certificate-data'?: string; username?: string }
interface KubeConfigDoc { 'current-context'?: string; contexts?: Array<{ name?: string; context?: { user?: string } }>; users?: Array<{ name?: string; user?: KubeUser }> }

/** Which file: --kubeconfig, else the first file of KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag;
  const first = env.KUBECONFIG?.split(delimiter).find(Boolean);
  return first ?? join(homedir(), '.kube', 'config');
}

/** The current context's user's bearer token from the kubeconfig TEXT (FILE names it in errors). */
export function tokenFromKubeconfig(text: string, file: string, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): { token: string; user: string; context: string } {
  let doc: KubeConfigDoc;
  try { doc = (parse(text) ?? {}) as KubeConfigDoc; } catch (err) { throw new CliError(`${file}: not a kubeconfig (YAML: ${(err as Error).message.split('\n')[0]})`); }
  const context = doc['current-context'];
  if (!context) throw new CliError(`${file}: no current-context (set one with kubectl config use-context)`);
  const ctx = doc.contexts?.find((c) => c.name === context)?.context;
  if (!ctx) throw new CliError(`${file}: current-context "${context}" is not among its contexts`);
  const userName = ctx.user;
  const user = doc.users?.find((u) => u.name === userName)?.user;
  if (!userName || !user) throw new CliError(`${file}: context "${context}" names user "${userName ?? ''}", which is not among its users`);
  if (typeof user.token === 'string' && user.token.trim()) return { token: user.token.trim(), user: userName, context };
  if (typeof user.tokenFile === 'string') {
    let token: string;
    try { token = readFile(user.tokenFile).trim(); } catch (err) { throw new CliError(`${file}: user "${userName}": cannot read tokenFile ${user.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`); }
    if (!token) throw new CliError(`${file}: user "${userName}": tokenFile ${user.tokenFile} is empty`);
    return { token, user: userName, context };
  }
  const kind = user.exec ? 'an exec credential plugin' : user['auth-provider'] ? 'an auth-provider'
    : user['client-certificate'] || user['client-certificate-data'] ? 'a client certificate' : user.username ? 'basic auth' : 'no credentials';
  throw new CliError(`${file}: user "${userName}" uses ${kind}; berth reads only a bearer token (user.token or user.tokenFile) — `
    + 'get one with `kubectl create token SERVICEACCOUNT` and put it in a kubeconfig, or pass --kubeconfig FILE');
}

/** The token of the current context of the kubeconfig at PATH. */
export function readKubeconfigToken(path: string): { token: string; user: string; context: string } {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    throw new CliError(`cannot read kubeconfig ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return tokenFromKubeconfig(text, path);
}
