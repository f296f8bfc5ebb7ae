// The controller URL an operator gives the agent → the agent endpoint it dials.
import { AGENT_CONNECT_PATH } from '../protocol/connect.js';

/** ws, wss, http or https base URL → the agent endpoint (ws/wss). Throws on anything else. */
export function connectUrl(base: string): string {
  let u: URL;
  try { u = new URL(base); } catch { throw new Error(`controller URL "${base}" is not a URL (expected e.g. wss://berth.example.com)`); }
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`controller URL "${base}" must start with ws://, wss://, http:// or https://`);
  if (u.username || u.password) throw new Error('controller URL must not carry credentials; the agent authenticates with its token');
  if (!u.pathname.endsWith(AGENT_CONNECT_PATH)) u.pathname = `${u.pathname.replace(/\/+$/, '')}${AGENT_CONNECT_PATH}`;
  return u.toString();
}
