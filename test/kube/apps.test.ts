// Issue 14 in Kubernetes mode: a `files` volume whose ConfigMap comes from the cluster and is
// watched (a kubectl edit recreates the container with the new file), and a dependsOn cycle — which
// the apiserver accepts, CEL cannot express it — reported as DependenciesValid=False while the
// containers on the cycle are held back and the others run. A real apiserver, controller process
// (watching only this test's namespace), agent and dockerd.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { until } from '../support/berth-env.js';
import { installCrds } from '../support/berth.js';
import { docker } from '../support/docker.js';
import { applyYaml, createTestNamespace, deleteTestNamespace, kubeconfig, kubectl } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const id = randomBytes(3).toString('hex');
const [web, a, b] = [`t${id}-kweb`, `t${id}-ka`, `t${id}-kb`];
const tmp = mkdtempSync(join(tmpdir(), 'berth-kapps-'));
const logs: string[] = [];
const children: ChildProcess[] = [];
let ns = '';
let systemNs = '';

function spawnBerth(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/berth.js'), ...args], { env: { ...process.env, DOCKER_HOST: bed('DOCKER_HOST') }, stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (c: Buffer) => { logs.push(c.toString()); if (logs.length > 2000) logs.splice(0, 1000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.push(child);
  return child;
}
const loop = (name: string, deps: string) => `  - name: ${name}
    image: ${bed('BERTH_TEST_IMAGE')}
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]
    dependsOn: [{ name: ${deps} }]
    stopTimeoutSeconds: 1`;
const hostYaml = (withCycle: boolean) => `apiVersion: berth.dev/v1alpha1
kind: ContainerHost
metadata: { name: box, namespace: ${ns} }
spec:
  containers:
  - name: ${web}
    image: ${bed('BERTH_TEST_IMAGE')}
    imagePullPolicy: IfNotPresent
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    volumes: [{ mountPath: /www, files: { configMap: site, items: [{ key: page, path: index.html }] } }]
    stopTimeoutSeconds: 1
${withCycle ? `${loop(a, b)}\n${loop(b, a)}\n` : ''}---
apiVersion: berth.dev/v1alpha1
kind: AgentToken
metadata: { name: box, namespace: ${ns} }
spec: { hostRef: { name: box } }
`;
const page = async () => (await docker(['exec', web, 'cat', '/www/index.html'])).stdout;
const host = async () => JSON.parse((await kubectl(['-n', ns, 'get', 'ch', 'box', '-o', 'json'], { check: true })).stdout) as
  { status?: { conditions?: Array<{ type: string; status: string; message: string }>; containers?: Array<{ name: string; message?: string }> } };

test.before(async () => {
  await installCrds();
  ns = await createTestNamespace('bt-kapps');
  systemNs = await createTestNamespace('bt-kapps-sys');
  const controller = spawnBerth(['controller', '--kube', '--kubeconfig', kubeconfig('admin'), '--namespace', ns, '--controller-namespace', systemNs,
    '--listen', '127.0.0.1:0', '--log-level', 'info']);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    controller.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const m = /"url":"(http:\/\/[^"]+)"/.exec(buf); if (m) resolve(m[1]!); });
    setTimeout(() => reject(new Error(`controller did not start:\n${logs.join('').slice(-3000)}`)), 30_000).unref();
  });
  await applyYaml(`apiVersion: v1\nkind: ConfigMap\nmetadata: { name: site, namespace: ${ns} }\ndata: { page: "from the cluster" }\n`);
  await applyYaml(hostYaml(true));
  const secret = await until('the token Secret', async () => {
    const r = await kubectl(['-n', ns, 'get', 'secret', 'box-agent-token', '-o', 'json']);
    return r.code === 0 ? JSON.parse(r.stdout) as { data: Record<string, string> } : undefined;
  }, 30_000);
  writeFileSync(join(tmp, 'token'), Buffer.from(secret.data.token!, 'base64'), { mode: 0o600 });
  spawnBerth(['agent', '--url', url.replace(/^http/, 'ws'), '--token-file', join(tmp, 'token')]);
});
test.after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await docker(['rm', '-f', web, a, b]);
  const vols = (await docker(['volume', 'ls', '-q', '--filter', `name=t${id}-`])).stdout.trim().split('\n').filter(Boolean);
  if (vols.length) await docker(['volume', 'rm', '-f', ...vols]);
  for (const n of [ns, systemNs]) if (n) await deleteTestNamespace(n);
  rmSync(tmp, { recursive: true, force: true });
});

test('the files volume holds the cluster ConfigMap; a dependsOn cycle is DependenciesValid=False and holds back only its containers', async () => {
  assert.is(await until('the page', async () => (await page()) || undefined, 90_000), 'from the cluster');
  const h = await until('DependenciesValid=False', async () => {
    const v = await host();
    return v.status?.conditions?.find((c) => c.type === 'DependenciesValid' && c.status === 'False') ? v : undefined;
  }, 30_000);
  assert.match(h.status!.conditions!.find((c) => c.type === 'DependenciesValid')!.message, 'cycle');
  assert.match(h.status!.containers!.find((c) => c.name === a)!.message ?? '', 'held back');
  assert.is((await docker(['inspect', a])).code, 1, 'no container for a held-back one');
});

test('editing the ConfigMap with kubectl recreates the container with the new file', async () => {
  const before = (await docker(['inspect', '-f', '{{.Id}}', web])).stdout.trim();
  await kubectl(['-n', ns, 'patch', 'configmap', 'site', '--type=merge', '-p', JSON.stringify({ data: { page: 'edited in the cluster' } })], { check: true });
  assert.is(await until('the new page', async () => ((await page()) === 'edited in the cluster' ? 'ok' : undefined), 60_000), 'ok');
  assert.is.not((await docker(['inspect', '-f', '{{.Id}}', web])).stdout.trim(), before);
});

test.run();
