// "Tokens never appear in status, logs, Events, metrics, the API or the page" (docs/security.md),
// checked end to end at DEBUG level: the real controller (`--log-level debug`) and agent in
// Kubernetes mode on the bed's apiserver go through issue → connect → rotate → the old token and a
// token in the URL refused → the new token connects → revoke (AgentToken deleted). Then every
// Kubernetes Event of the namespace, /metrics, the API, the objects' status and both processes'
// complete logs are searched for each JWT (whole, and its signature alone), each token Secret's
// stored base64 value, and the signing key's private part.
import { request } from 'node:http';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { kubectl } from '../support/kube.js';
import { agentUpgradeStatus, KubeBerth, metricsText, type ControllerProc } from '../support/kube-berth.js';

const kb = new KubeBerth('bs-leak');
let controller: ControllerProc;

test.before(async () => { controller = await kb.setupLeading({ logLevel: 'debug' }); });

test.after(async () => { await kb.cleanup(); });

/** The HTTP status of a bare WebSocket upgrade request (no Authorization header). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 101); });
    req.on('error', reject);
    req.end();
  });
}

/** What an endless event stream sends in its first second (the page feed's snapshot). */
async function firstOfStream(url: string, ms = 1_000): Promise<string> {
  const res = await fetch(url);
  const reader = res.body!.getReader();
  const chunks: string[] = [];
  const timer = setTimeout(() => { void reader.cancel(); }, ms);
  for (;;) {
    const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
    if (done) break;
    chunks.push(Buffer.from(value).toString());
  }
  clearTimeout(timer);
  return chunks.join('');
}

/** The parts of a secret that must never show: the value, and for a JWT its signature alone. */
function needles(label: string, value: string): Array<[string, string]> {
  const out: Array<[string, string]> = [[label, value]];
  const sig = value.split('.')[2];
  if (sig && sig.length >= 40) out.push([`${label} (signature)`, sig]);
  return out;
}

test('no JWT, token Secret value or signing key in Events, /metrics, the API, status or the DEBUG logs', async () => {
  const host = 'leak';
  await kb.apply(kb.hostYaml(host, kb.sleeper('l')));
  const first = await kb.tokenSecret(host);
  const agent1 = await kb.startAgent(host, controller.url, { token: first.token, logLevel: 'debug' });
  await kb.waitCondition(host, 'Ready', 'True');

  await kubectl(['-n', kb.ns, 'annotate', 'agenttoken', host, 'berth.dev/rotate=leak-1'], { check: true });
  // Rotation itself is proven by test/kube/rotation.test.ts; this test needs a second token to look
  // for. Once in a full-suite run the first annotation produced no new token within 30 s (an open
  // flake, noted on issue 18); asking again with a new value keeps this test about leaks.
  const second = await kb.tokenSecret(host, first.token).catch(async () => {
    await kubectl(['-n', kb.ns, 'annotate', '--overwrite', 'agenttoken', host, 'berth.dev/rotate=leak-2'], { check: true });
    return kb.tokenSecret(host, first.token);
  });
  await until('the first agent cut', () => agent1.lines().some((l) => l.code === 4003), 20_000);
  await kb.stop(agent1);
  assert.is(await agentUpgradeStatus(controller.url, first.token), 401, 'the old token refused');
  assert.is(await upgradeStatus(`${controller.url}/agent/v1/connect?token=${encodeURIComponent(second.token)}`), 401, 'a token in the URL refused');
  const agent2 = await kb.startAgent(host, controller.url, { token: second.token, logLevel: 'debug' });
  await kb.waitCondition(host, 'Ready', 'True');

  // What the controller shows and keeps, gathered while everything is still there.
  const api = await Promise.all(['/api/v1/hosts', '/api/v1/tokens', `/api/v1/hosts/${kb.ns}/${host}`, '/api/v1/sources'].map(async (p) => `${p}: ${await (await fetch(`${controller.url}${p}`)).text()}`));
  api.push(`/api/v1/events (the page feed): ${await firstOfStream(`${controller.url}/api/v1/events`)}`);
  const objects = (await kubectl(['-n', kb.ns, 'get', 'containerhosts,agenttokens', '-o', 'json'], { check: true })).stdout;
  const signing = JSON.parse((await kubectl(['-n', kb.ns, 'get', 'secret', 'berth-signing-key', '-o', 'json'], { check: true })).stdout) as { data: Record<string, string> };
  const [keyB64] = Object.values(signing.data);
  const privateD = (JSON.parse(Buffer.from(keyB64!, 'base64').toString()) as { privateJwk: { d: string } }).privateJwk.d;

  // Revocation: the live agent is closed, and that is logged too.
  await kubectl(['-n', kb.ns, 'delete', 'agenttoken', host], { check: true });
  await until('the second agent cut', () => agent2.lines().some((l) => l.code === 4003), 20_000);
  const metrics = await metricsText(controller.url);
  const events = await kb.eventsJson();
  await kb.stop(agent2);
  await kb.stop(controller);

  const controllerLog = controller.output();
  const agentLogs = agent1.output() + agent2.output();
  // The haystacks are real: DEBUG lines were written, the Events and metrics are the ones of this run.
  assert.ok(controller.lines().some((l) => l.level === 20), 'the controller logged at debug');
  assert.ok(agent2.lines().some((l) => l.level === 20), 'the agent logged at debug');
  for (const reason of ['Issued', 'Rotated', 'AgentConnected']) assert.ok(events.includes(`"reason": "${reason}"`), `an Event ${reason}`);
  assert.match(metrics, /berth_hub_auth_failures_total\{[^}]*\} [1-9]/, 'the refusals were counted');

  const haystacks: Record<string, string> = { 'Kubernetes Events': events, '/metrics': metrics, API: api.join('\n'), 'objects (status)': objects, 'controller log (debug)': controllerLog, 'agent logs (debug)': agentLogs };
  const secrets = [...needles('first JWT', first.token), ...needles('second JWT', second.token), ['first token Secret value', first.base64], ['second token Secret value', second.base64], ['signing key Secret value', keyB64!], ['signing key private part', privateD]] as Array<[string, string]>;
  for (const [where, text] of Object.entries(haystacks)) {
    assert.ok(text.length > 100, `${where} is not empty`);
    for (const [what, value] of secrets) assert.not.ok(text.includes(value), `${what} found in ${where}`);
  }
});

test.run();
