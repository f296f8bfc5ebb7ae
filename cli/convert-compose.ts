// `berth convert compose FILE...`: the command around cli/convert/ — options, reading files,
// writing YAML, warnings on stderr, exit codes (0 converted, 1 nothing convertible, 2 usage).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { convertCompose } from './convert/convert.js';
import { UsageError } from './usage.js';

export const CONVERT_HELP = `Usage: berth convert compose [options] [FILE...]

Converts a Compose application (the Compose Specification: docker compose's compose.yaml) into one
ContainerHost, plus a ConfigMap holding its configs. Several files merge the way
'docker compose -f a.yaml -f b.yaml' merges them; without FILE, compose.yaml (or docker-compose.yml)
and its .override file in the current directory are read. Variables are interpolated from the
environment and the .env file beside the first file. The input is checked against the Compose
Specification's JSON schema first.

What Berth cannot run as written (build:, replicas > 1, ports bound to one address, ...) is said on
stderr, one line per field: "warning: WHERE: WHAT". The policy the containers need (privileged,
host network, bind-mounted paths, capabilities, devices, sysctls, GPUs) is set in spec.policy and
said there too. Secret values are never written: the output refers to a Secret you create.

Options:
      --host NAME          the ContainerHost's name (default: the compose project name)
      --namespace NS       metadata.namespace of what is written (default: none, i.e. "default")
  -o, --output FILE|DIR    write there instead of stdout (a DIR gets one file per resource)
  -p, --project-name NAME  the compose project name (default: name:, or the directory's name)
      --profile NAME       enable a profile (repeatable; COMPOSE_PROFILES works too)
      --agent-token        also write an AgentToken for the host (what 'berth up' needs to run it)
      --env-file FILE      read variables from FILE instead of ./.env
  -h, --help               show this help

Exit status: 0 converted, 1 nothing convertible (or invalid compose), 2 usage error.`;

const DEFAULT_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];

function defaultFiles(): string[] {
  const main = DEFAULT_FILES.find((f) => existsSync(f));
  if (!main) throw new UsageError(`no compose file given and none of ${DEFAULT_FILES.join(', ')} here`);
  const override = main.replace(/\.ya?ml$/, (ext) => `.override${ext}`);
  return existsSync(override) ? [main, override] : [main];
}

export function runConvert(argv: string[], out: (text: string) => void = (t) => process.stdout.write(t), err: (line: string) => void = console.error): number {
  const [what, ...rest] = argv;
  if (what === '-h' || what === '--help' || what === undefined) { if (what) { out(`${CONVERT_HELP}\n`); return 0; } throw new UsageError('say what to convert: berth convert compose FILE...'); }
  if (what !== 'compose') throw new UsageError(`cannot convert "${what}" (only: compose)`);
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true,
    options: {
      host: { type: 'string' }, namespace: { type: 'string' }, output: { type: 'string', short: 'o' },
      'project-name': { type: 'string', short: 'p' }, profile: { type: 'string', multiple: true },
      'env-file': { type: 'string' }, 'agent-token': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) { out(`${CONVERT_HELP}\n`); return 0; }
  const files = positionals.length ? positionals : defaultFiles();
  for (const f of files) if (!existsSync(f)) throw new UsageError(`no such file: ${f}`);
  if (values['env-file'] && !existsSync(values['env-file'])) throw new UsageError(`no such env file: ${values['env-file']}`);

  const result = convertCompose({
    files, profiles: values.profile, host: values.host, namespace: values.namespace, projectName: values['project-name'],
    envFile: values['env-file'], environment: process.env,
  }, { readText: (p) => readFileSync(p, 'utf8'), exists: existsSync });

  if (values['agent-token'] && result.documents[0]) {
    const meta = result.documents[0].metadata as { name: string; namespace?: string };
    result.documents.push({ apiVersion: 'berth.dev/v1alpha1', kind: 'AgentToken', metadata: { ...meta }, spec: { hostRef: { name: meta.name } } });
  }
  for (const w of result.warnings) err(`warning: ${w.where}: ${w.message}`);
  for (const e of result.errors) err(`error: ${e}`);
  if (result.errors.length || result.documents.length === 0) return 1;

  // The warnings travel with the manifests too, so whoever reviews them later sees what differs.
  const header = `# Converted by 'berth convert compose ${files.join(' ')}'.\n${result.warnings.map((w) => `# warning: ${w.where}: ${w.message}`.replace(/\n/g, ' ')).join('\n')}${result.warnings.length ? '\n' : ''}`;
  const yamlOf = (doc: unknown) => stringify(doc, { lineWidth: 0 });
  const target = values.output;
  if (target && (target.endsWith('/') || (existsSync(target) && statSync(target).isDirectory()))) {
    mkdirSync(target, { recursive: true });
    for (const doc of result.documents) {
      const meta = doc.metadata as { name: string };
      const file = join(target, `${meta.name}${doc.kind === 'ContainerHost' ? '' : `.${String(doc.kind).toLowerCase()}`}.yaml`);
      writeFileSync(file, header + yamlOf(doc));
      err(`wrote ${file}`);
    }
  } else {
    const text = header + result.documents.map(yamlOf).join('---\n');
    if (target) { writeFileSync(target, text); err(`wrote ${target}`); } else out(text);
  }
  err(`converted ${result.converted} service${result.converted === 1 ? '' : 's'} with ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}`);
  return 0;
}
