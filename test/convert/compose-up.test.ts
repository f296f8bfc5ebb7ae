// A compose app converted by `berth convert compose` and run by the real controller and agent on
// the bed's dockerd: a server that serves a file delivered from the compose `configs` (a `files`
// volume), and a client that starts only after the server is healthy (depends_on →
// dependsOn: Healthy) and fetches the file by the server's name over the project's network
// (networks → spec.networks). Nothing is hand-edited between the conversion and the run.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BerthEnv, until } from '../support/berth-env.js';
import { docker } from '../support/docker.js';
import { run } from '../support/kube.js';
import { repoRoot } from '../support/paths.js';
import { bed } from '../support/testbed.js';

const env = new BerthEnv();
const host = 'box';
// Services named uniquely; their containers are <project>-<service>, the service name an alias.
const server = env.name('server');
const project = env.name('app');
const serverContainer = `${project}-${server}`;
const clientContainer = `${project}-${env.name('client')}`;
const client = env.name('client');

test.after(async () => {
  await env.cleanup();
  const nets = (await docker(['network', 'ls', '-q', '--filter', `name=${project}_`])).stdout.trim().split('\n').filter(Boolean);
  if (nets.length) await docker(['network', 'rm', ...nets]);
});

test('a two-service compose app converts, validates and runs to Ready; the client reads the served config by name', async () => {
  const app = join(env.root, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'compose.yaml'), `services:
  ${server}:
    image: \${IMAGE}
    pull_policy: missing
    command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
    configs: [{ source: page, target: /www/index.html }]
    healthcheck: { test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s, retries: 30 }
    stop_grace_period: 1s
  ${client}:
    image: \${IMAGE}
    pull_policy: missing
    command: ["sh", "-c", "wget -q -O - http://${server}:8080/ && echo && exec sleep 3600"]
    depends_on: { ${server}: { condition: service_healthy } }
    restart: on-failure
    stop_grace_period: 1s
configs:
  page: { content: "hello from compose" }
`);
  const out = join(env.manifests, 'box.yaml');
  const converted = await run(process.execPath, [join(repoRoot, 'bin/berth.js'), 'convert', 'compose', join(app, 'compose.yaml'), '-p', project, '--host', host, '--namespace', env.namespace, '-o', out], {
    env: { ...process.env, IMAGE: bed('BERTH_TEST_IMAGE') },
  });
  assert.is(converted.code, 0, converted.stderr);
  assert.match(converted.stderr, /converted 2 services/);
  const validated = await run(process.execPath, [join(repoRoot, 'bin/berth.js'), 'validate', out]);
  assert.is(validated.code, 0, validated.stdout);
  assert.match(readFileSync(out, 'utf8'), new RegExp(`dependsOn:\\n\\s+- name: ${serverContainer}\\n\\s+condition: Healthy`));
  env.write('token.yaml', `apiVersion: berth.dev/v1alpha1\nkind: AgentToken\nmetadata: { name: ${host}, namespace: ${env.namespace} }\nspec: { hostRef: { name: ${host} } }\n`);

  await env.startController();
  await env.startAgent(host);
  const ready = await env.waitReady(host, 120_000).catch((err: Error) => { throw new Error(`${err.message}\n${env.logs()}`); });
  assert.is(ready.status.ready, '2/2');
  let last = '';
  const logs = await until('the client printed the page', async () => {
    const r = await docker(['logs', clientContainer]);
    last = `${r.stdout}${r.stderr}`;
    return last.includes('hello from compose') ? last : undefined;
  }, 30_000).catch(async (err: Error) => {
    throw new Error(`${err.message}\nclient logs: ${last}\nserver: ${(await docker(['exec', serverContainer, 'ls', '-la', '/www'])).stdout}\n${(await docker(['inspect', clientContainer])).stdout.slice(0, 3000)}`);
  });
  assert.match(logs, 'hello from compose');
  type Inspect = { State: { StartedAt: string }; RestartCount: number };
  const [s, c] = JSON.parse((await docker(['inspect', serverContainer, clientContainer])).stdout) as Inspect[];
  assert.ok(Date.parse(c!.State.StartedAt) > Date.parse(s!.State.StartedAt), 'the client started after the server');
  // The client exits (and is restarted) if its one fetch fails: no restart means the server was
  // already serving when the client started, i.e. it waited for Healthy.
  assert.is(c!.RestartCount, 0);
  const nets = JSON.parse((await docker(['inspect', '-f', '{{json .NetworkSettings.Networks}}', clientContainer])).stdout) as Record<string, { Aliases: string[] | null }>;
  assert.equal(Object.keys(nets), [`${project}_default`]);
  assert.ok(nets[`${project}_default`]!.Aliases?.includes(client), 'the service name is an alias on the project network');
});

test.run();
