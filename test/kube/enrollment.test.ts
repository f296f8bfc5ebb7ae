// Enrollment in Kubernetes mode, across a controller restart (a new leader): a bootstrap
// AgentToken's join token from its Secret → the real `berth agent` enrolls and stores its credential
// → the burn is in the apiserver (status.enrollment), so a NEW controller process refuses the join
// token (401, Warning Event JoinTokenReused) while a restarted agent connects with its credential.
import { existsSync, statSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { kubectl } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { agentUpgradeStatus, KubeBerth, type ControllerProc } from '../support/kube-berth.js';

const kb = new KubeBerth('bk-enroll');
let controller: ControllerProc;

test.before(async () => {
  await kb.setup();
  controller = await kb.startController();
  await kb.waitLeader(controller);
});

test.after(async () => { await kb.cleanup(); });

const enrollment = async (name: string) => {
  const r = await kubectl(['-n', kb.ns, 'get', 'agenttoken', name, '-o', 'json'], { check: true });
  return (JSON.parse(r.stdout) as { status?: { enrollment?: { remoteAddress?: string; credentialID?: string } } }).status?.enrollment;
};

test('join → credential; after a controller restart the join token is refused and the credential connects', async () => {
  const host = 'enr';
  // The bed's apiserver is shared: make sure this AgentToken CRD (with spec.bootstrap and
  // status.enrollment) is the one served, whatever another checkout applied since installCrds.
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', joinPath(repoRoot, 'crds/agenttokens.yaml')], { check: true });
  await kb.apply(`apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: ${host}, namespace: ${kb.ns} }
spec: { paused: true }
---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: ${host}, namespace: ${kb.ns} }
spec: { hostRef: { name: ${host} }, bootstrap: true }
`);
  const { token: join } = await kb.tokenSecret(host);
  const agent = await kb.startAgent(host, controller.url, { token: join });
  const credentialFile = agent.tokenFile.replace(/\.token$/, '.credential');
  await until('the credential stored', () => existsSync(credentialFile), 30_000);
  assert.is(statSync(credentialFile).mode & 0o777, 0o600);
  const enrolled = await until('status.enrollment in the apiserver', () => enrollment(host), 30_000);
  assert.ok(enrolled.credentialID);
  await kb.waitCondition(host, 'AgentConnected', 'True');

  await kb.stop(agent);
  await kb.stop(controller);
  controller = await kb.startController({ name: 'controller-2' });
  await kb.waitLeader(controller);

  assert.is(await agentUpgradeStatus(controller.url, join), 401, 'the burned join token is refused by the new controller');
  await until('a JoinTokenReused Warning', async () => {
    const events = JSON.parse(await kb.eventsJson()) as { items: Array<{ reason: string; type: string; message: string; involvedObject: { kind: string; name: string } }> };
    return events.items.find((e) => e.reason === 'JoinTokenReused' && e.type === 'Warning' && e.involvedObject.name === host && /127\.0\.0\.1/.test(e.message));
  }, 20_000);

  // The same machine restarted: its token file still holds the burned join token; the stored
  // credential wins.
  const again = await kb.startAgent(host, controller.url, { token: join, args: ['--credential-file', credentialFile] });
  await kb.waitCondition(host, 'AgentConnected', 'True');
  assert.not.ok(again.lines().some((l) => l.code === 401 || /join token already used/.test(String(l.reason ?? ''))), 'the restarted agent did not present the join token');
  assert.equal(await enrollment(host), enrolled, 'no second enrollment');
});

test.run();
