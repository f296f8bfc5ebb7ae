// `berth exec` end to end in directory mode: the real CLI, controller and agents on the bed's dockerd.
// A command's exit code and streams; an interactive shell with a TTY driven through a real
// pseudo-terminal (python3's pty module), resized; a large output read by a stalled consumer while
// the controller's memory stays bounded (backpressure); refusals without the UI token and on an
// agent started without --allow-exec; every exec recorded as an Event.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, until } from '../support/berth-env.js';
import { run } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const c = env.name('sh');
const other = env.name('other');
const spec = (name: string) => `containers:\n- name: ${name}\n  image: ${bed('BERTH_TEST_IMAGE')}\n  imagePullPolicy: IfNotPresent\n  command: ["sh", "-c", "while true; do sleep 1; done"]\n  stopTimeoutSeconds: 1`;
const berthJs = join(repoRoot, 'bin/berth.js');
const tokenFile = () => join(env.state, 'ui-token');
const remote = () => ['--server', env.url, '--token-file', tokenFile()];

function exec(args: string[], opts: { input?: string } = {}) {
  return run(process.execPath, [berthJs, 'exec', ...args], { ...opts, timeoutMs: 60_000 });
}

test.before(async () => {
  env.write('box.yaml', env.hostYaml('box', spec(c)));
  env.write('closed.yaml', env.hostYaml('closed', spec(other)));
  await env.startController();
  await env.startAgent('box', { BERTH_ALLOW_EXEC: 'true' });
  await env.startAgent('closed');
  await env.waitReady('box');
  await env.waitReady('closed');
});
test.after(async () => { await env.cleanup(); });

test('a command runs with its stdout, stderr and exit code; the Event says who ran what', async () => {
  const r = await exec([`${env.namespace}/box`, c, ...remote(), '--', 'sh', '-c', 'echo out-$((6*7)); echo err-1 >&2; exit 7']);
  assert.is(r.code, 7, r.stderr);
  assert.is(r.stdout, 'out-42\n');
  assert.is(r.stderr, 'err-1\n');
  const events = await until('the Exec event', async () => {
    const h = await env.get<{ events: Array<{ reason: string; message: string }> }>(`/api/v1/hosts/${env.namespace}/box`);
    return h.body.events.find((e) => e.reason === 'Exec');
  });
  assert.match(events.message, /^ui-token ran in t\w+-sh: sh -c 'echo out-\$\(\(6\*7\)\); echo err-1 >&2; exit 7'$/);
});

test('stdin is passed with -i, and its end is the process\'s EOF', async () => {
  const r = await exec([`${env.namespace}/box`, c, '-i', ...remote(), '--', 'sh', '-c', 'wc -c; echo done'], { input: 'x'.repeat(300_000) });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim().split(/\s+/).join(' '), '300000 done');
});

test('refused without the UI token, with a wrong one, and on an agent without --allow-exec', async () => {
  const none = await run(process.execPath, [berthJs, 'exec', `${env.namespace}/box`, c, '--server', env.url, '--token-file', join(env.root, 'missing'), '--', 'true'], { timeoutMs: 30_000 });
  assert.is(none.code, 2);
  assert.match(none.stderr, /cannot read the UI token/);
  const wrongFile = join(env.root, 'wrong-token');
  await run('sh', ['-c', `echo not-the-token > ${wrongFile}`], { check: true });
  const wrong = await exec([`${env.namespace}/box`, c, '--server', env.url, '--token-file', wrongFile, '--', 'true']);
  assert.is(wrong.code, 1);
  assert.match(wrong.stderr, /401 .*UI token/);
  const closed = await exec([`${env.namespace}/closed`, other, ...remote(), '--', 'true']);
  assert.is(closed.code, 1);
  assert.match(closed.stderr, /--allow-exec/);
  const undeclared = await exec([`${env.namespace}/box`, 'nope', ...remote(), '--', 'true']);
  assert.is(undeclared.code, 1);
  assert.match(undeclared.stderr, /404 container nope is not declared/);
  const browser = await fetch(`${env.url}/api/v1/exec?namespace=${env.namespace}&host=box&container=${c}`, {
    headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', Origin: env.url, Authorization: `Bearer ${readFileSync(tokenFile(), 'utf8').trim()}` },
  }).catch((err: unknown) => err as Error);
  assert.ok(!(browser instanceof Error) ? browser.status === 403 : /403|fetch failed/.test(browser.message), 'a browser (Origin) is refused');
});

// A real pseudo-terminal: python3's pty module runs `berth exec -it` on the slave side, we type on
// the master side. The terminal starts at 33x101 and is resized to 40x120 (SIGWINCH).
const PTY_DRIVER = String.raw`
import os, pty, sys, time, select, fcntl, termios, struct, signal
argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
def size(r, c): fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', r, c, 0, 0))
size(33, 101)
out = b''
def until(token, secs=20):
    global out
    end = time.time() + secs
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try: out += os.read(fd, 65536)
            except OSError: break
    return token in out
time.sleep(0.3)
ok = until(b'# ') or until(b'$ ')
os.write(fd, b'stty size; echo A-$((6*7))\r')
until(b'A-42')
size(40, 120)
os.kill(pid, signal.SIGWINCH)
time.sleep(0.5)
os.write(fd, b'stty size; echo B-$((7*7))\r')
until(b'B-49')
os.write(fd, b'exit 3\r')
_, status = os.waitpid(pid, 0)
until(b'\0', 0.5)
sys.stdout.write(out.decode('utf8', 'replace'))
sys.stdout.write('\nEXIT=%d\n' % os.waitstatus_to_exitcode(status))
`;

test('an interactive shell with a TTY: typed commands run, the size follows the terminal, exit code passes', async () => {
  const r = await run('python3', ['-c', PTY_DRIVER, process.execPath, berthJs, 'exec', `${env.namespace}/box`, c, '-i', '-t', ...remote(), '--', 'sh'], { timeoutMs: 60_000 });
  assert.match(r.stdout, /33 101\s+A-42/, r.stdout + r.stderr);
  assert.match(r.stdout, /40 120\s+B-49/, r.stdout);
  assert.match(r.stdout, /EXIT=3\n$/);
});

function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
}

test('48 MiB of output to a consumer that stalls: all of it arrives, the controller\'s memory stays bounded', async () => {
  // Without backpressure all of it would wait in the controller (≥ 48 MiB); with it, one 1 MiB
  // credit window and socket buffers — the rest of what RSS shows is V8's young generation churning
  // through base64 strings (~13 MiB measured), hence the 24 MiB bound.
  const total = 48 * 1024 * 1024;
  const controllerPid = env.controller!.pid!;
  const child = spawn(process.execPath, [berthJs, 'exec', `${env.namespace}/box`, c, ...remote(), '--', 'head', '-c', String(total), '/dev/zero'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let received = 0;
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdout.on('data', (d: Buffer) => { received += d.length; });
  // Read the first bytes, then stall for 3 s: without backpressure the controller would buffer the rest.
  await until('first output', () => received > 0, 30_000, 20);
  child.stdout.pause();
  const base = rssKiB(controllerPid);
  let peak = base;
  const stallEnd = Date.now() + 3000;
  while (Date.now() < stallEnd) { peak = Math.max(peak, rssKiB(controllerPid)); await new Promise((r) => setTimeout(r, 100)); }
  const duringStall = received;
  child.stdout.resume();
  const code = await new Promise<number>((resolve) => child.once('exit', (c2) => resolve(c2 ?? -1)));
  assert.is(code, 0, stderr);
  assert.is(received, total);
  assert.ok(duringStall < total / 2, `the stalled consumer held the stream back (${duringStall} of ${total} bytes before it resumed)`);
  const grewMiB = (peak - base) / 1024;
  console.log(`exec backpressure: ${total / 1048576} MiB; ${(duringStall / 1048576).toFixed(1)} MiB delivered before the 3 s stall ended; controller RSS +${grewMiB.toFixed(1)} MiB at peak`);
  assert.ok(grewMiB < 24, `controller RSS grew ${grewMiB.toFixed(1)} MiB while the consumer stalled (bounded by the credit window)`);
});

test.run();
