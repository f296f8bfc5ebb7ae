// A stand-in for a Kubernetes Service in front of controller replicas: a TCP proxy that sends each
// new connection to a backend whose /readyz answers 200 (only the leader does). Test-only.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class ReadyProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  backends: string[] = [];   // http://host:port

  async start(): Promise<string> {
    this.server = createServer((client) => { void this.route(client); });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async ready(): Promise<URL | undefined> {
    for (const b of this.backends) {
      try { if ((await fetch(`${b}/readyz`, { signal: AbortSignal.timeout(1000) })).status === 200) return new URL(b); } catch { /* down */ }
    }
    return undefined;
  }

  private async route(client: Socket): Promise<void> {
    client.pause();
    const target = await this.ready();
    if (!target) { client.destroy(); return; }
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) { this.sockets.add(s); s.on('close', () => this.sockets.delete(s)); s.on('error', () => s.destroy()); }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
    client.resume();
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
