// Where an agent connects: the one WebSocket path on the controller's server. The agent appends it
// to the controller URL it is given; the controller routes upgrades on it to the hub. The token
// travels only in an `Authorization: Bearer` header, never in the URL (the hub refuses that).
export const AGENT_CONNECT_PATH = '/agent/v1/connect';
