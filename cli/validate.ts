// `berth validate <files|dirs>`: the same checks the apiserver (Kubernetes mode) and the directory
// store (embedded mode) apply, run offline.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { checkDocument, formatIssues, type DocumentReport } from '../controller/api/check.js';
import { readManifests } from '../controller/api/manifests.js';
import { ResourceValidator } from '../controller/api/validate.js';
import { UsageError } from './usage.js';

export const VALIDATE_HELP = `Usage: berth validate [options] <file|dir>...

Validates ContainerHost and AgentToken manifests against the CRD schemas in crds/ (structure,
defaults, enums, bounds, unknown fields) and the same rules the CRDs state in CEL. Directories are
read recursively (*.yaml, *.yml; compose files such as compose.yaml are left to 'berth convert
compose'); files may hold several documents. Documents of other API groups
(Namespaces, Secrets, ...) are skipped and counted.

Each problem is printed as
  FILE:LINE: KIND NAMESPACE/NAME (document N): FIELD.PATH: MESSAGE

Options:
  -o, --output text|json   output format (default text); json prints one report per document
  -q, --quiet              print problems only, no summary
  -h, --help               show this help

Exit status: 0 all valid, 1 something invalid, 2 usage error.`;

export function runValidate(argv: string[], out: (line: string) => void = console.log): number {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: { output: { type: 'string', short: 'o', default: 'text' }, quiet: { type: 'boolean', short: 'q' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) { out(VALIDATE_HELP); return 0; }
  if (values.output !== 'text' && values.output !== 'json') throw new UsageError(`--output must be text or json, not "${values.output}"`);
  if (positionals.length === 0) throw new UsageError('name at least one file or directory to validate');
  for (const p of positionals) if (!existsSync(p)) throw new UsageError(`no such file or directory: ${p}`);

  const validator = new ResourceValidator();
  const reports: DocumentReport[] = readManifests(positionals).map((doc) => checkDocument(doc, validator));
  const invalid = reports.filter((r) => r.status === 'invalid').length;

  if (values.output === 'json') {
    out(JSON.stringify(reports.map(({ object: _object, ...r }) => r), null, 2));
  } else {
    for (const r of reports) for (const line of formatIssues(r)) out(line);
    if (!values.quiet) {
      const valid = reports.filter((r) => r.status === 'valid').length;
      const skipped = reports.length - valid - invalid;
      out(`${reports.length} document${reports.length === 1 ? '' : 's'}: ${valid} valid, ${invalid} invalid, ${skipped} skipped (not berth.dev)`);
    }
  }
  return invalid ? 1 : 0;
}
