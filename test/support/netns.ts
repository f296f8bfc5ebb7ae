// Pieces of the "other machine" tests (test/env/netns.sh): processes started inside the bed's network
// namespace, a recording plaintext TCP proxy (what anyone on the path sees), and HTTPS reads that
// trust one CA.
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:https';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { OutputBuffer } from './berth-process.js';
import { repoRoot } from './paths.js';
import { bed, testbedEnv } from './testbed.js';

/** A bed variable; the shell's environment wins (`eval "$(bash test/env/testbed.sh env)"`). */
export const netnsVar = (name: 'BERTH_TEST_NETNS' | 'BERTH_TEST_NETNS_ADDR' | 'BERTH_TEST_NETNS_HOST_ADDR'): string =>
  process.env[name] || (testbedEnv()[name] ?? bed(name));

const live = new Set<ChildProcess>();
process.on('exit', () => { for (const c of live) { try { c.kill('SIGKILL'); } catch { /* gone */ } } });

/** `berth ARGS` inside the namespace (`ip netns exec` execs node itself: the pid is the agent's). */
export function spawnBerthInNetns(args: string[], output: OutputBuffer, env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', netnsVar('BERTH_TEST_NETNS'), process.execPath, join(repoRoot, 'bin/berth.js'), ...args], {
    env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST'), ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const keep = (chunk: Buffer) => output.push(chunk.toString());
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

/** A TCP proxy on HOST:0 to a target chosen later; keeps every byte both ways and where connections came from. */
export class RecordingProxy {
  readonly server: Server;
  target?: { host: string; port: number };
  readonly chunks: Buffer[] = [];
  readonly peers: string[] = [];
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((client) => {
      this.peers.push(client.remoteAddress ?? '');
      if (!this.target) { client.destroy(); return; }
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) { this.sockets.add(s); s.once('close', () => this.sockets.delete(s)); s.on('error', () => { client.destroy(); upstream.destroy(); }); }
      client.on('data', (d: Buffer) => { this.chunks.push(d); upstream.write(d); });
      upstream.on('data', (d: Buffer) => { this.chunks.push(d); client.write(d); });
      client.once('close', () => upstream.destroy());
      upstream.once('close', () => client.destroy());
    });
  }

  async listen(host: string): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, host, () => r()));
    return (this.server.address() as AddressInfo).port;
  }

  get seen(): Buffer { return Buffer.concat(this.chunks); }

  close(): void { for (const s of this.sockets) s.destroy(); this.server.close(); }
}

/** GET URL over HTTPS trusting only CA; the body parsed as JSON, and the server certificate's fingerprint. */
export function httpsGet<T>(url: string, ca: string): Promise<{ status: number; body: T; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerCertificate().fingerprint256;
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => { let body: unknown = text; try { body = JSON.parse(text); } catch { /* text */ } resolve({ status: res.statusCode ?? 0, body: body as T, fingerprint }); });
    });
    req.on('error', reject);
    req.end();
  });
}
