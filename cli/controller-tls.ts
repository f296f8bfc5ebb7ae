// `berth controller`'s TLS flags → the certificate sources the controller serves with, and the CA
// written next to every token so agents verify the controller with no extra step.
import { readFileSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { ensureAutoTls } from '../controller/tls/auto-tls.js';
import { TlsFiles } from '../controller/tls/tls-files.js';
import { parseListen } from './listen.js';
import { UsageError } from './usage.js';

export const TLS_HELP = `TLS (docs/security.md):
  --tls-cert FILE      HTTPS for --listen (and --agent-listen): the certificate (PEM, chain
  --tls-key FILE       first) and its key; both files are re-read when they change (cert-manager,
                       ACME renewals): new connections get the new certificate, open ones stay
  --tls-ca FILE        the CA that signed --tls-cert, written next to every token (ca.crt) so
                       agents verify the controller with it
  --tls auto           directory mode without a PKI: a CA and a server certificate made once in
                       <state>/tls (0600); the server certificate is re-issued by the same CA
                       when the names below change; the CA is written next to every token
  --tls-san NAME       with --tls auto: another DNS name or address agents dial (repeatable;
                       loopback, this host's name and addresses, and --agent-url's host are in)
  --agent-listen ADDR  a separate listener for the agent endpoint only (e.g. :7443), so agents
                       can reach it from the network while the page stays on loopback
  --agent-tls-cert FILE, --agent-tls-key FILE
                       the agent listener's own certificate (default: the one of --listen)`;

export const TLS_OPTIONS = {
  tls: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-ca': { type: 'string' },
  'tls-san': { type: 'string', multiple: true }, 'agent-listen': { type: 'string' },
  'agent-tls-cert': { type: 'string' }, 'agent-tls-key': { type: 'string' },
} as const;

export interface TlsArgs {
  mode: 'off' | 'files' | 'auto';
  certFile?: string; keyFile?: string; caFile?: string; sans: string[];
  agentListen?: { host: string; port: number };
  agentCertFile?: string; agentKeyFile?: string;
}

type TlsValues = { [K in keyof typeof TLS_OPTIONS]?: (typeof TLS_OPTIONS)[K] extends { multiple: true } ? string[] : string };

export function parseTlsArgs(v: TlsValues, kube: boolean): TlsArgs {
  if (v.tls !== undefined && v.tls !== 'auto') throw new UsageError(`--tls takes only "auto" (or give --tls-cert and --tls-key), not "${v.tls}"`);
  if ((v['tls-cert'] === undefined) !== (v['tls-key'] === undefined)) throw new UsageError('--tls-cert and --tls-key go together: the certificate and its private key');
  if ((v['agent-tls-cert'] === undefined) !== (v['agent-tls-key'] === undefined)) throw new UsageError('--agent-tls-cert and --agent-tls-key go together');
  if (v.tls === 'auto' && v['tls-cert']) throw new UsageError('--tls auto makes its own certificate: leave out --tls-cert/--tls-key');
  if (v.tls === 'auto' && kube) throw new UsageError('--tls auto is for directory mode; with --kube give --tls-cert/--tls-key from a Secret (the chart can request one from cert-manager)');
  if (v['tls-san']?.length && v.tls !== 'auto') throw new UsageError('--tls-san only applies with --tls auto');
  if (v['tls-ca'] && !v['tls-cert']) throw new UsageError('--tls-ca only applies with --tls-cert');
  if (v['agent-tls-cert'] && !v['agent-listen']) throw new UsageError('--agent-tls-cert only applies with --agent-listen');
  const abs = (f: string | undefined) => (f === undefined ? undefined : resolve(f));
  return {
    mode: v.tls === 'auto' ? 'auto' : v['tls-cert'] ? 'files' : 'off',
    ...defined({ certFile: abs(v['tls-cert']), keyFile: abs(v['tls-key']), caFile: abs(v['tls-ca']), agentCertFile: abs(v['agent-tls-cert']), agentKeyFile: abs(v['agent-tls-key']) }),
    sans: v['tls-san'] ?? [],
    ...(v['agent-listen'] ? { agentListen: parseListen(v['agent-listen'], '--agent-listen') } : {}),
  };
}

function defined<T extends Record<string, string | undefined>>(o: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as { [K in keyof T]?: string };
}

const WILDCARD = new Set(['0.0.0.0', '::', '']);

/** The names `--tls auto` certifies: loopback, this host, the addresses listened on, --agent-url's host, --tls-san. */
export function autoAltNames(listens: { host: string }[], agentUrl: string | undefined, sans: string[]): string[] {
  const names = ['localhost', '127.0.0.1', '::1', hostname(), ...sans];
  for (const l of listens) {
    if (!WILDCARD.has(l.host)) { names.push(l.host); continue; }
    for (const addrs of Object.values(networkInterfaces())) for (const a of addrs ?? []) names.push(a.address.replace(/%.*$/, ''));
  }
  if (agentUrl) { try { names.push(new URL(agentUrl).hostname.replace(/^\[|\]$/g, '')); } catch { /* reported by the agent URL check */ } }
  return [...new Set(names.filter(Boolean))];
}

export interface TlsSetup { tls?: TlsFiles; agentTls?: TlsFiles; agentCa?: string }

export async function setupTls(a: TlsArgs, c: { state: string; listen: { host: string }; agentUrl?: string; logger: Logger; pollMs?: number }): Promise<TlsSetup> {
  const logger = c.logger.child({ component: 'tls' });
  const poll = c.pollMs ? { pollMs: c.pollMs } : {};
  const files = (certFile: string, keyFile: string) => {
    try { return new TlsFiles({ certFile, keyFile, logger, ...poll }); } catch (err) { throw new UsageError((err as Error).message); }
  };
  const out: TlsSetup = {};
  if (a.mode === 'auto') {
    const auto = await ensureAutoTls(c.state, autoAltNames([c.listen, ...(a.agentListen ? [a.agentListen] : [])], c.agentUrl, a.sans));
    logger.info({ ca: auto.caFile, reissued: auto.reissued }, '--tls auto: serving the certificate of the CA in this file (written next to every token)');
    out.tls = files(auto.certFile, auto.keyFile);
    out.agentCa = auto.caPem;
  } else if (a.mode === 'files') {
    out.tls = files(a.certFile!, a.keyFile!);
    if (a.caFile) {
      try { out.agentCa = readFileSync(a.caFile, 'utf8'); } catch (err) { throw new UsageError(`--tls-ca ${a.caFile}: ${(err as Error).message}`); }
    }
  }
  if (a.agentCertFile) out.agentTls = files(a.agentCertFile, a.agentKeyFile!);
  return out;
}
