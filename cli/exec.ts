// `berth exec NS/HOST CONTAINER [-i] [-t] -- CMD...`: a process in a managed container, through
// the controller's exec socket (protocol/exec.ts) and the host agent's existing connection. With -t
// the local terminal goes raw and its size follows SIGWINCH; with -i stdin is forwarded (EOF
// included). The command's exit code becomes ours. Backpressure end to end: a stdout that does
// not keep up stops us reading the socket, which stops the controller crediting the agent, which
// stops Docker — nothing in between grows.
import { parseArgs } from 'node:util';
import { WebSocket, type RawData } from 'ws';
import { EXEC_CHANNEL, EXEC_CHUNK_BYTES, EXEC_WS_PATH, type ExecClientMessage, type ExecServerMessage } from '../protocol/exec.js';
import { hostRef, REMOTE_HELP, REMOTE_OPTIONS, resolveRemote } from './remote.js';
import { UsageError } from './usage.js';

export const EXEC_HELP = `Usage: berth exec NAMESPACE/HOST CONTAINER [-i] [-t] [options] -- COMMAND [ARG...]

Runs COMMAND in a container Berth manages on HOST, like kubectl exec: through the controller and
the host agent's connection (the agent must run with --allow-exec). Every exec is recorded as an
Event on the ContainerHost (who, which container, what command).

Options:
  -i, --stdin          pass this terminal's stdin to the command
  -t, --tty            allocate a TTY in the container (raw terminal here; resized with it)
${REMOTE_HELP}
  -h, --help           show this help

Who may exec: directory mode, whoever holds the controller's UI token; Kubernetes mode, users
allowed to create containerhosts/exec (RBAC), e.g.
  rules: [{ apiGroups: [berth.dev], resources: [containerhosts/exec], verbs: [create] }]

Exit status: the command's own exit code; 1 when the exec was refused or failed; 2 usage error.`;

export interface ExecIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export async function runExec(argv: string[], io: ExecIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const cmd = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parseArgs({
    args: own, allowPositionals: true,
    options: { ...REMOTE_OPTIONS, stdin: { type: 'boolean', short: 'i' }, tty: { type: 'boolean', short: 't' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { io.stdout.write(`${EXEC_HELP}\n`); return 0; }
  if (positionals.length !== 2) throw new UsageError('name the host and the container: berth exec NAMESPACE/HOST CONTAINER -- COMMAND');
  if (cmd.length === 0) throw new UsageError('the command goes after --, e.g. berth exec ns/host web -- sh');
  const { namespace, name } = hostRef(positionals[0]);
  const container = positionals[1]!;
  const remote = resolveRemote(values);
  if (!remote.token) throw new UsageError('the kubeconfig user has no bearer token; exec through the controller needs one (TokenReview)');
  let tty = values.tty === true;
  if (tty && !io.stdin.isTTY) { io.stderr.write('berth exec: stdin is not a terminal; running without a TTY\n'); tty = false; }
  const stdin = values.stdin === true;

  const url = new URL(`${remote.server.replace(/^http/, 'ws')}${EXEC_WS_PATH}`);
  url.search = new URLSearchParams({ namespace, host: name, container }).toString();
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${remote.token}` }, perMessageDeflate: false, maxPayload: 2 * EXEC_CHUNK_BYTES });
  return new Promise<number>((resolve) => {
    let code: number | undefined;
    let raw = false;
    const restore = () => { if (raw) { try { io.stdin.setRawMode(false); } catch { /* gone */ } raw = false; } };
    const finish = (c: number) => {
      if (code !== undefined) return;
      code = c;
      restore();
      io.stdin.pause();
      io.stdout.off('resize', onResize);
      // Let stdout drain before the process exits with the code.
      io.stdout.write('', () => resolve(c));
    };
    const send = (m: ExecClientMessage) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(m)); };
    const onResize = () => { if (io.stdout.rows && io.stdout.columns) send({ type: 'resize', rows: io.stdout.rows, cols: io.stdout.columns }); };

    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        let message = body;
        try { message = (JSON.parse(body) as { message?: string }).message ?? body; } catch { /* plain text */ }
        io.stderr.write(`berth exec: ${res.statusCode ?? ''} ${message}\n`);
        finish(1);
      });
    });
    ws.on('error', (err) => { io.stderr.write(`berth exec: cannot reach the controller at ${remote.server}: ${err.message}\n`); finish(1); });
    ws.on('open', () => {
      const size = tty && io.stdout.rows && io.stdout.columns ? { rows: io.stdout.rows, cols: io.stdout.columns } : {};
      send({ type: 'start', cmd, tty, stdin, ...size });
      if (tty) { io.stdin.setRawMode(true); raw = true; io.stdout.on('resize', onResize); }
      if (stdin) {
        io.stdin.on('data', (chunk: Buffer) => {
          for (let at = 0; at < chunk.length; at += EXEC_CHUNK_BYTES) ws.send(Buffer.concat([Buffer.of(EXEC_CHANNEL.stdin), chunk.subarray(at, at + EXEC_CHUNK_BYTES)]));
          // The controller stops reading while the agent is behind: so do we, with stdin.
          if (ws.bufferedAmount > 1024 * 1024) {
            io.stdin.pause();
            const t = setInterval(() => { if (ws.bufferedAmount < 256 * 1024 || ws.readyState !== WebSocket.OPEN) { clearInterval(t); io.stdin.resume(); } }, 10);
          }
        });
        io.stdin.once('end', () => send({ type: 'eof' }));
        io.stdin.resume();
      }
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) {
        const out = buf[0] === EXEC_CHANNEL.stderr ? io.stderr : io.stdout;
        if (!out.write(buf.subarray(1))) { ws.pause(); out.once('drain', () => ws.resume()); }
        return;
      }
      let m: ExecServerMessage;
      try { m = JSON.parse(buf.toString('utf8')) as ExecServerMessage; } catch { return; }
      if (m.type === 'exit') finish(m.code);
      else if (m.type === 'error') { restore(); io.stderr.write(`berth exec: ${m.message} (${m.code})\n`); finish(1); }
    });
    ws.on('close', (c, reason) => {
      if (code === undefined) { restore(); io.stderr.write(`berth exec: the connection closed (${c}${reason.length ? `: ${reason.toString()}` : ''}) before the command ended\n`); finish(1); }
    });
  });
}
