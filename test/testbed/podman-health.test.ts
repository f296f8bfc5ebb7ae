// Smoke test of the bed's Podman health check (test/env/podman.sh). The shared service once degraded
// after hours: `/_ping` still answered, every container start failed with HTTP 500 "write child:
// broken pipe", because the service (and the conmon it forks per container) had inherited the
// working directory of whoever ran `testbed.sh up` -- a checkout or temp dir deleted since. Now the
// bed starts its daemons from `/`, and `up` starts a real container and restarts a service that
// cannot. Both on a PRIVATE Podman (its own run dir, socket and storage, via BERTH_TESTBED_RUN), so
// the shared one is never made sick.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';
import { until } from '../support/wait.js';

const run = mkdtempSync(join(tmpdir(), 'berth-podman-health-'));
const dir = join(run, 'podman');
const sock = join(dir, 'podman.sock');
const pidFile = join(dir, 'podman.pid');
const podman = new Docker({ socketPath: sock });

/** `testbed.sh up podman` for the private run dir, run from CWD. */
function up(cwd: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [join(repoRoot, 'test/env/testbed.sh'), 'up', 'podman'], {
      cwd, timeout: 240_000, env: { ...process.env, BERTH_TESTBED_RUN: run },
    }, (err, _stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stderr: String(stderr) }));
  });
}

const servicePid = (): number => Number(readFileSync(pidFile, 'utf8').trim());
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A real container start through the Docker API; resolves with its exit code. */
async function runContainer(): Promise<number> {
  const c = await podman.createContainer({ Image: bed('BERTH_TEST_IMAGE'), Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  try {
    await c.start();
    return ((await c.wait()) as { StatusCode: number }).StatusCode;
  } finally {
    await c.remove({ force: true });
  }
}

async function stopService(): Promise<void> {
  let pid: number;
  try { pid = servicePid(); } catch { return; }
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  await until(`podman service ${pid} to exit`, () => !alive(pid), 20_000);
}

/** Mount points under the private run dir, deepest first (Podman bind-mounts its overlay dir onto itself). */
function mountsUnder(root: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === root || m.startsWith(`${root}/`)).sort((a, b) => b.length - a.length);
}

test.after(async () => {
  await stopService();
  for (const m of mountsUnder(run)) await new Promise((r) => execFile('umount', [m], r));
  rmSync(run, { recursive: true, force: true });
});

test('a podman `up` started from a directory deleted afterwards runs from / and still starts containers', async () => {
  const cwd = mkdtempSync(join(tmpdir(), 'berth-podman-cwd-'));
  const r = await up(cwd);
  assert.is(r.code, 0, r.stderr);
  rmSync(cwd, { recursive: true });
  assert.is(readlinkSync(`/proc/${servicePid()}/cwd`), '/');
  assert.is(await runContainer(), 0);
});

test('a service that answers but cannot start containers is restarted by `up`', async () => {
  // Make it sick the way it got sick: a service started (as an older testbed.sh did) from a
  // directory that is then deleted.
  await stopService();
  const cwd = mkdtempSync(join(tmpdir(), 'berth-podman-cwd-'));
  const child = spawn('podman', ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), 'system', 'service', '--time=0', `unix://${sock}`], {
    cwd, detached: true, stdio: 'ignore',
    env: { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf') },
  });
  child.unref();
  const sick = child.pid!;
  writeFileSync(pidFile, `${sick}\n`);
  await until('the sick service to answer /_ping', () => podman.ping().then(() => true), 30_000);
  rmSync(cwd, { recursive: true });
  const err = await runContainer().then(() => undefined, (e: Error) => e);
  assert.ok(err, 'the service with a deleted working directory must fail to start a container (else this test proves nothing)');
  assert.match(err.message, /broken pipe|500/);

  const r = await up(tmpdir());
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /podman: the service answers but is sick \(cannot start a container: HTTP 500/);
  assert.not.ok(alive(sick), 'the sick service was stopped');
  assert.is.not(servicePid(), sick);
  assert.is(readlinkSync(`/proc/${servicePid()}/cwd`), '/');
  assert.is(await runContainer(), 0);
});

test.run();
