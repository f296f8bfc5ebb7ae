// Issue 14 end to end, through the real controller and agent processes on a real dockerd: a
// two-service app whose server serves a file delivered by a `files` volume from a ConfigMap in the
// manifests directory, and whose client fetches it by name over a managed network and is created
// only once the server is healthy (status says why it waits). Then the ConfigMap changes (the
// server is recreated with the new file), and the app leaves the spec: the managed network goes,
// an unmanaged network the client also joined stays.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, condition, until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const host = 'app';
const [server, client] = [env.name('server'), env.name('client')];
const net = env.name('net');
const theirs = env.name('theirs');
const secretValue = `s3cr3t-${env.id}-value`;

const configMap = (page: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: site, namespace: ${env.namespace} }
data:
  index.html: "${page}"
`;
const app = (withContainers: boolean) => env.hostYaml(host, `networks:
- { name: ${net}, labels: { app: pair } }
containers:${withContainers ? `
- name: ${server}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "sleep 3; touch /tmp/ready; exec httpd -f -p 8080 -h /www"]
  networks: [{ name: ${net}, aliases: [web] }]
  volumes: [{ mountPath: /www, files: { configMap: site } }, { mountPath: /run/creds, files: { secret: creds, items: [{ key: token, path: token, mode: 0o400 }] } }]
  healthcheck: { exec: ["test", "-f", "/tmp/ready"], intervalSeconds: 1, timeoutSeconds: 1, retries: 1 }
  stopTimeoutSeconds: 1
- name: ${client}
  image: ${bed('BERTH_TEST_IMAGE')}
  imagePullPolicy: IfNotPresent
  command: ["sh", "-c", "while true; do wget -q -O - http://web:8080/index.html; echo; sleep 1; done"]
  networks: [{ name: ${net} }, { name: ${theirs} }]
  dependsOn: [{ name: ${server}, condition: Healthy }]
  stopTimeoutSeconds: 1` : ' []'}`);

const exists = async (kind: 'container' | 'network', name: string) => (await docker([kind, 'inspect', name])).code === 0;
const containerId = async (name: string) => (await docker(['inspect', '-f', '{{.Id}}', name])).stdout.trim();
const clientSees = (text: string) => until(`the client to fetch "${text}"`, async () => (await docker(['logs', client])).stdout.includes(text) || undefined, 60_000);

test.before(async () => {
  assert.is((await docker(['network', 'create', theirs])).code, 0);
  env.write('site.yaml', configMap('first page'));
  env.write('creds.yaml', `apiVersion: v1\nkind: Secret\nmetadata: { name: creds, namespace: ${env.namespace} }\nstringData: { token: ${secretValue} }\n`);
  env.write('app.yaml', app(true));
  await env.startController();
  await env.startAgent(host);
});
test.after(async () => {
  await env.cleanup();
  for (const n of [net, theirs]) await docker(['network', 'rm', n]);
});

test('the client waits for the server to be healthy, and status says so', async () => {
  const h = await env.waitHost(host, 'the client held back', (v) => v.status.containers?.find((c) => c.name === client && /waiting for .* healthy/.test(c.message ?? '')));
  assert.match(h.message ?? '', server);
  assert.not.ok(await exists('container', client), 'no client container while it waits');
  const synced = await env.waitHost(host, 'Synced says why', (v) => condition(v, 'Synced')?.reason === 'WaitingForDependencies' && condition(v, 'Synced'));
  assert.match(synced.message, `${client}: waiting for "${server}" to be healthy`);
  assert.ok(await exists('container', server));
});

test('then it fetches the file from the server by its alias over the managed network', async () => {
  await clientSees('first page');
  const labels = JSON.parse((await docker(['network', 'inspect', '-f', '{{json .Labels}}', net])).stdout) as Record<string, string>;
  assert.equal(labels, { app: 'pair', 'berth.dev/managed': 'true', 'berth.dev/host': `${env.namespace}/${host}` });
  const h = await env.waitReady(host);
  assert.is(condition(h, 'DependenciesValid')?.status, 'True');
});

test('a Secret delivered as a file is in the container, and nowhere in status, Events, logs or labels', async () => {
  assert.is((await docker(['exec', server, 'cat', '/run/creds/token'])).stdout, secretValue);
  assert.is((await docker(['exec', server, 'stat', '-c', '%a', '/run/creds/token'])).stdout.trim(), '400');
  const detail = await env.get(`/api/v1/hosts/${env.namespace}/${host}`);
  assert.is(detail.status, 200);
  const text = JSON.stringify(detail.body);
  assert.match(text, /"events":\[/);
  assert.not.match(text, secretValue, 'not in status or Events');
  const allLogs = env.logs(Infinity);
  assert.match(allLogs, /dispatching/, 'the output is really captured');
  assert.not.match(allLogs, secretValue, 'not in the controller or agent logs');
  assert.not.match((await docker(['inspect', server])).stdout, secretValue, 'not in the container\'s labels, env or config');
});

test('a ConfigMap change recreates the server with the new file', async () => {
  const before = await containerId(server);
  env.write('site.yaml', configMap('second page'));
  await clientSees('second page');
  assert.is.not(await containerId(server), before, 'recreated');
});

test('the app leaves the spec: the managed network goes, the unmanaged one stays', async () => {
  env.write('app.yaml', env.hostYaml(host, 'containers: []'));
  await until('the containers and the managed network to go', async () => (!(await exists('container', server)) && !(await exists('container', client)) && !(await exists('network', net))) || undefined, 60_000);
  assert.ok(await exists('network', theirs), 'the network Berth did not create is left alone');
  const vols = (await docker(['volume', 'ls', '-q', '--filter', `label=berth.dev/files=${server}`])).stdout.trim();
  assert.is(vols, '', 'the files volumes went with the server');
});

test.run();
