// An agent hub on a plain loopback node:http server, wired the way the controller wires it (one
// UpgradeRouter, the hub's handler on AGENT_CONNECT_PATH), for tests that talk to the real hub
// without the rest of the controller.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UpgradeRouter } from '../../controller/http/upgrade-router.js';
import { AgentHub, type AgentHubOptions } from '../../controller/hub/hub.js';
import { AGENT_CONNECT_PATH } from '../../protocol/connect.js';

export interface HubServer {
  server: Server;
  hub: AgentHub;
  /** http://127.0.0.1:<port> — what an agent is given as the controller URL. */
  base: string;
  /** ws://127.0.0.1:<port>/agent/v1/connect — the agent endpoint itself. */
  url: string;
  /** Close the hub, then the server (every wait bounded by `ms`). */
  close(ms?: number): Promise<void>;
}

export async function startHubServer(opts: AgentHubOptions): Promise<HubServer> {
  const server = createServer((_req, res) => { res.statusCode = 404; res.end(); });
  const router = new UpgradeRouter(server);
  const hub = new AgentHub(opts);
  router.route(AGENT_CONNECT_PATH, hub.upgradeHandler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    server, hub, base: `http://127.0.0.1:${port}`, url: `ws://127.0.0.1:${port}${AGENT_CONNECT_PATH}`,
    async close(ms = 5000) {
      await within(hub.close(), ms, 'hub.close');
      router.close();
      server.closeAllConnections();
      await within(new Promise<void>((r) => server.close(() => r())), ms, 'server.close');
    },
  };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}
