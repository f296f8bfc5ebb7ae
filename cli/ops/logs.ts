// `berth logs NS/HOST CONTAINER`: a container's log lines over the controller's log socket
// (GET /api/v1/logs/ws, the same socket the status page uses; protocol/log-viewer.ts). In
// Kubernetes mode the socket takes the kubeconfig's bearer token in the Authorization header (the
// access check reads the header first, the page's session cookie second: kube-access.ts).
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { compareLogTime, parseLogTime } from '../../protocol/log-time.js';
import { LOGS_WS_PATH, MAX_LOG_TAIL, type LogViewerMessage } from '../../protocol/log-viewer.js';
import type { LogEntry } from '../../protocol/frames.js';
import { UsageError } from '../usage.js';
import { splitRef } from './args.js';
import { ApiClient, CONNECTION_HELP, CONNECTION_OPTIONS, refusal } from './client.js';
import { CliError } from './errors.js';

export const HELP = `Usage: berth logs NAMESPACE/HOST CONTAINER [-f] [--tail N] [--since T] [--timestamps]

Prints a container's log lines (stdout and stderr, in order), through the controller, which
streams them from the host's agent. The controller keeps the last ${MAX_LOG_TAIL} lines of each
stream; --tail and --since choose among those.

Options:
  -f, --follow         keep printing new lines until interrupted (Ctrl-C)
  --tail N             the last N lines (0 to ${MAX_LOG_TAIL}; default ${MAX_LOG_TAIL}, all the controller keeps)
  --since T            only lines newer than T: a duration (30s, 5m, 2h) or an RFC 3339 time
  --timestamps         prefix each line with its Docker timestamp
  -h, --help           show this help

${CONNECTION_HELP}

Without -f, berth prints the lines logged up to the moment it started (by Docker's timestamps,
compared with this machine's clock) and exits.

Examples:
  berth logs shop/box-1 web --tail 50
  berth logs shop/box-1 web -f --since 10m --timestamps`;

/** Without -f: also done when nothing arrived for this long (a container that logs nothing new). */
const SETTLE_MS = 1500;

/** --since: "30s", "5m", "2h", "1h30m" or an RFC 3339 time → the RFC 3339 time lines must be after. */
export function sinceTime(value: string, now = Date.now()): string {
  if (parseLogTime(value)) return value;
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(value);
  if (!m || value === '') throw new UsageError(`--since must be a duration such as 30s, 5m, 2h or an RFC 3339 time, not "${value}"`);
  const ms = ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
  return new Date(now - ms).toISOString();
}

export async function run(argv: string[], out: (text: string) => void = (t) => { process.stdout.write(`${t}\n`); }): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { follow: { type: 'boolean', short: 'f' }, tail: { type: 'string' }, since: { type: 'string' }, timestamps: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, ...CONNECTION_OPTIONS },
  });
  if (values.help) { out(HELP); return 0; }
  const [ref, container, extra] = positionals;
  const { namespace, name } = splitRef(ref, 'the host');
  if (!container) throw new UsageError('name the container: berth logs NAMESPACE/HOST CONTAINER');
  if (extra) throw new UsageError(`unexpected argument "${extra}"`);
  const tail = values.tail === undefined || values.tail === '-1' ? MAX_LOG_TAIL : Number(values.tail);
  if (!Number.isInteger(tail) || tail < 0 || tail > MAX_LOG_TAIL) throw new UsageError(`--tail must be a whole number from 0 to ${MAX_LOG_TAIL}`);
  const since = values.since === undefined ? undefined : sinceTime(values.since);

  const client = new ApiClient({ server: values.server, kubeconfig: values.kubeconfig });
  await client.ensureAccess();
  const url = new URL(LOGS_WS_PATH, client.server.replace(/^http/, 'ws'));
  // Without -f, ask for more than --tail: lines stamped after the cut are dropped, and the last
  // --tail of the rest are printed.
  const ask = values.follow ? tail : Math.min(MAX_LOG_TAIL, tail + 100);
  for (const [k, v] of Object.entries({ namespace, host: name, container, tail: String(ask) })) url.searchParams.set(k, v);

  // Without -f the output ends at "now": the first line stamped later ends it (a fresh stream's
  // tail and the live lines after it come in the same messages, with nothing between to tell them apart).
  const cut = new Date().toISOString();
  const kept: LogEntry[] = [];
  const print = (e: LogEntry) => {
    if (since && compareLogTime(e.t, since) <= 0) return;
    out(values.timestamps ? `${e.t} ${e.l}` : e.l);
  };
  return new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: client.headers(), perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    let settle: NodeJS.Timeout | undefined;
    let finished = false;
    let waitingFor: string | undefined;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      for (const e of tail === 0 ? [] : kept.slice(-tail)) print(e);
      // Nothing to show because the stream is not there: say why rather than print nothing.
      if (!values.follow && kept.length === 0 && waitingFor) console.error(`berth logs: no lines: ${waitingFor}`);
      clearTimeout(settle);
      process.removeListener('SIGINT', onSigint);
      ws.close(1000);
      resolve(code);
    };
    const onSigint = () => finish(0);
    process.once('SIGINT', onSigint);
    const settleLater = () => { if (!values.follow) { clearTimeout(settle); settle = setTimeout(() => finish(0), SETTLE_MS); } };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => { finished = true; process.removeListener('SIGINT', onSigint); reject(new CliError(refusal(res.statusCode ?? 0, body, client.headers().authorization !== undefined))); });
    });
    ws.on('error', (err) => {
      if (finished) return;
      finished = true;
      process.removeListener('SIGINT', onSigint);
      reject(new CliError(`cannot open the log socket at ${client.server} (${(err as NodeJS.ErrnoException).code ?? err.message})`));
    });
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as LogViewerMessage;
      if (m.type === 'ready') settleLater();
      else if (m.type === 'lines') {
        if (values.follow) { for (const e of m.entries) print(e); return; }
        for (const e of m.entries) { if (compareLogTime(e.t, cut) > 0) { finish(0); return; } kept.push(e); }
        settleLater();
      }
      else if (m.type === 'gap') console.error(`berth logs: ${m.dropped} lines skipped (this client fell behind)`);
      else if (m.type === 'waiting') { waitingFor = m.reason; if (values.follow) console.error(`berth logs: waiting: ${m.reason}`); settleLater(); }
      else if (m.type === 'error') { console.error(`berth logs: ${m.message}`); finish(1); }
    });
    ws.on('close', (code, reason) => {
      if (finished) return;
      if (code !== 1000) console.error(`berth logs: the controller closed the stream (${code}${reason.length ? `: ${reason.toString()}` : ''})`);
      finish(code === 1000 ? 0 : 1);
    });
  });
}
