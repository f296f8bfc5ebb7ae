// The policy file (YAML or JSON) parsed into ceiling fields. Its own module so that the YAML parser
// (~1.5 MB of an idle agent's heap, docs/performance.md) is loaded only when a policy file is given:
// cli/agent-ceiling.ts imports this module dynamically.
import { parse as parseYaml } from 'yaml';
import { CeilingError, ceilingFromDocument, type Partial } from './ceiling-config.js';

/** The policy file's contents (YAML or JSON) as ceiling fields; FILE names it in errors. */
export function parseCeilingFile(text: string, file: string): Partial {
  let doc: unknown;
  try { doc = parseYaml(text); } catch (err) { throw new CeilingError(`policy file ${file}: not YAML/JSON: ${(err as Error).message}`); }
  return ceilingFromDocument(doc, file);
}
