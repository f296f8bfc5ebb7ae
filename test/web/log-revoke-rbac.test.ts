// A live log tail whose access is revoked through REAL RBAC (docs/logs.md: "Access is asked again
// every 30 s: a viewer whose permission was revoked gets `error` … then close 1008"). The controller
// runs with --ui-auth=kubernetes against the bed's apiserver (TokenReview + SubjectAccessReview);
// its recheck interval and decision cache are shortened to 300 ms through its test seam. alice is
// granted `get containerhosts` and `get containerhosts/logs` by Roles; deleting the logs
// RoleBinding on the apiserver closes her open socket.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocket } from 'ws';
import { until } from '../support/berth-env.js';
import { applyYaml, kubectl, kubeToken, readerRoleYaml } from '../support/kube.js';
import { KubeBerth, type ControllerProc } from '../support/kube-berth.js';

const kb = new KubeBerth('bw-revoke');
let controller: ControllerProc;


test.before(async () => { controller = await kb.setupLeading({ uiAuth: 'kubernetes', seams: { accessRecheckMs: 300, accessCacheMs: 300 } }); });

test.after(async () => { await kb.cleanup(); });

test('deleting the RoleBinding that grants containerhosts/logs closes alice\'s open log socket: error Forbidden "access revoked", close 1008', async () => {
  const host = 'tail';
  const container = kb.name('t');
  await kb.apply(kb.hostYaml(host, kb.sleeper('t')));
  await applyYaml(readerRoleYaml('hosts-reader', ['containerhosts'], 'alice'), { namespace: kb.ns });
  await applyYaml(readerRoleYaml('logs-reader', ['containerhosts/logs'], 'alice'), { namespace: kb.ns });
  await kb.startAgent(host, controller.url);
  await kb.waitCondition(host, 'Ready', 'True');

  const frames: Array<{ type?: string; code?: string; message?: string; line?: string }> = [];
  let closed: { code: number; reason: string } | undefined;
  const ws = new WebSocket(`${controller.url.replace(/^http/, 'ws')}/api/v1/logs/ws?namespace=${kb.ns}&host=${host}&container=${container}`, {
    headers: { Authorization: `Bearer ${kubeToken('alice')}`, Origin: controller.url },
  });
  ws.on('message', (d) => { try { frames.push(JSON.parse(String(d))); } catch { /* not JSON */ } });
  ws.on('close', (code, reason) => { closed = { code, reason: reason.toString() }; });
  try {
    await until('log lines flowing to alice', () => JSON.stringify(frames).includes('tick'), 30_000);
    // Still open across several rechecks while she is allowed (a line a second; a recheck every
    // 300 ms): the recheck itself does not close it.
    await until('a few more lines', () => JSON.stringify(frames).split('tick').length > 4, 10_000);
    assert.is(closed, undefined, 'open while allowed');

    await kubectl(['-n', kb.ns, 'delete', 'rolebinding', 'logs-reader'], { check: true });
    const end = await until('the socket closed', () => closed, 15_000);
    assert.is(end.code, 1008);
    const error = frames.find((f) => f.type === 'error');
    assert.ok(error, `an error frame before the close: ${JSON.stringify(frames.slice(-3))}`);
    assert.is(error!.code, 'Forbidden');
    assert.match(error!.message ?? '', /^access revoked: .*alice.*containerhosts\/logs/);
    assert.ok(controller.lines().some((l) => l.msg === 'log viewer closed: access revoked' && l.user === 'alice'));
  } finally {
    ws.terminate();
  }
});

test.run();
