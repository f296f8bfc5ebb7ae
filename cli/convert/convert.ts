// `berth convert compose`, the pipeline: parse → interpolate → merge → profiles → extends →
// validate (the Compose Specification's schema) → map → fit to the CRD. Pure apart from the file
// reads handed in through `io`, so every step is testable without a disk.
import { basename, dirname, resolve } from 'node:path';
import { parse, YAMLParseError, type ScalarTag } from 'yaml';
import { validateCompose } from './compose-schema.js';
import { isMap, dnsLabel, type Json, type Warning } from './context.js';
import { DotenvError, parseDotenv } from './dotenv.js';
import { fitToCrd } from './fit.js';
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';
import { mapProject, mountsFiles, secretAdvice } from './map-project.js';
import { activeServices, ExtendsError, mergeFiles, resolveExtends } from './merge.js';
import { IncludeError, resolveIncludes } from './include.js';

export interface ConvertIO {
  readText(path: string): string;
  exists(path: string): boolean;
}

export interface ConvertOptions {
  files: readonly string[];
  profiles?: readonly string[];
  host?: string;
  namespace?: string;
  projectName?: string;
  /** The .env file; default `.env` beside the first compose file (used when it exists). */
  envFile?: string;
  /** The shell environment; it overrides .env, as in compose. */
  environment?: Readonly<Record<string, string | undefined>>;
}

export interface ConvertResult {
  documents: Json[];
  warnings: Warning[];
  /** Problems that stop the conversion (bad YAML, schema violations, a required variable unset). */
  errors: string[];
  converted: number;
}

export class ConvertError extends Error {}

/**
 * compose reads `mode: 0440` as octal (its YAML library keeps YAML 1.1's leading-zero octals);
 * YAML 1.2 would read 440. This tag, ahead of the core schema's, reads them as compose does.
 */
const LEADING_ZERO_OCTAL: ScalarTag = {
  tag: 'tag:yaml.org,2002:int', default: true, format: 'OCT', test: /^0[0-7]+$/,
  identify: (v) => typeof v === 'number', resolve: (s) => parseInt(s, 8),
};

function parseYaml(text: string, file: string): Json {
  try {
    const doc: unknown = parse(text, { merge: true, maxAliasCount: 10_000, customTags: (tags) => [LEADING_ZERO_OCTAL, ...(Array.isArray(tags) ? tags : [])] });
    if (doc === null || doc === undefined) return {};
    if (!isMap(doc)) throw new ConvertError(`${file}: a compose file is a mapping (services:, networks:, ...)`);
    return doc;
  } catch (err) {
    if (err instanceof YAMLParseError) throw new ConvertError(`${file}:${err.linePos?.[0]?.line ?? '?'}: ${err.message.split('\n')[0]}`);
    throw err;
  }
}

/** compose's project name rule: lowercase letters, digits, '-' and '_', starting with a letter or digit. */
export const projectName = (raw: string): string => raw.toLowerCase().replace(/[^a-z0-9_-]/g, '').replace(/^[-_]+/, '') || 'project';

export function convertCompose(options: ConvertOptions, io: ConvertIO): ConvertResult {
  const warnings: Warning[] = [];
  const warn = (where: string, message: string) => { warnings.push({ where, message }); };
  const shell = options.environment ?? {};
  const dir = resolve(dirname(options.files[0]!));
  try {
    const envPath = options.envFile ? resolve(options.envFile) : resolve(dir, '.env');
    const dotenv = options.envFile || io.exists(envPath) ? parseDotenv(io.readText(envPath), envPath, (n) => shell[n]) : new Map<string, string>();
    const env: Lookup = (n) => shell[n] ?? dotenv.get(n);

    // An included application interpolates with its own .env (over which the shell still wins).
    const loadIncluded = (file: string, projectDir: string, envFile?: string): Json => {
      const ownEnv = envFile ?? resolve(projectDir, '.env');
      const vars = io.exists(ownEnv) ? parseDotenv(io.readText(ownEnv), ownEnv, (n) => shell[n]) : new Map<string, string>();
      return interpolate(parseYaml(io.readText(file), file), (n) => shell[n] ?? vars.get(n) ?? env(n)) as Json;
    };
    const files = options.files.map((f) => resolveIncludes(interpolate(parseYaml(io.readText(f), f), env) as Json, dirname(resolve(f)), loadIncluded));
    const merged = mergeFiles(files);
    const schemaIssues = validateCompose(merged);
    if (schemaIssues.length) {
      return { documents: [], warnings, converted: 0, errors: schemaIssues.map((i) => `${options.files.join(', ')}: ${i.path}: ${i.message}`) };
    }
    const project = projectName(options.projectName ?? (typeof merged.name === 'string' ? merged.name : undefined) ?? env('COMPOSE_PROJECT_NAME') ?? basename(dir));
    const profiles = [...(options.profiles ?? []), ...(env('COMPOSE_PROFILES')?.split(',').map((p) => p.trim()).filter(Boolean) ?? [])];
    if (merged.version !== undefined) warn('version', 'obsolete in the Compose Specification; ignored');

    const loadExtended = (file: string): Json => interpolate(parseYaml(io.readText(resolve(dir, file)), file), env) as Json;
    const all = resolveExtends(isMap(merged.services) ? merged.services : {}, loadExtended);
    const { active, skipped } = activeServices(all, profiles);
    for (const s of skipped) warn(`service ${s.name}`, `not converted: its profiles (${s.profiles.join(', ')}) are not enabled (--profile)`);

    const readEnvFile = (path: string) => parseDotenv(io.readText(path), path, env);
    const out = mapProject({
      project, dir, compose: { ...merged, services: active }, host: dnsLabel(options.host ?? project), namespace: options.namespace,
      env, readText: io.readText, readEnvFile, warn,
    });
    fitToCrd(out.host, warn);
    const converted = Array.isArray((out.host.spec as Json).containers) ? ((out.host.spec as Json).containers as unknown[]).length : 0;
    if (converted === 0) return { documents: [], warnings, converted, errors: ['no service could be converted (see the warnings)'] };
    if (out.secret && mountsFiles(out.host, 'secret', out.secret.name)) warn('secrets', secretAdvice(out.secret));
    const configMap = out.configMap && mountsFiles(out.host, 'configMap', String((out.configMap.metadata as Json).name)) ? [out.configMap] : [];
    return { documents: [out.host, ...configMap], warnings, converted, errors: [] };
  } catch (err) {
    // Problems with the input (the parsers' own errors, plain Errors, unreadable files) are reported;
    // anything else (a TypeError, ...) is a bug in the converter and is thrown.
    const input = err instanceof Error && (err.constructor === Error || err instanceof ConvertError || err instanceof InterpolationError
      || err instanceof DotenvError || err instanceof ExtendsError || err instanceof IncludeError || typeof (err as { code?: unknown }).code === 'string');
    if (input) return { documents: [], warnings, converted: 0, errors: [err.message] };
    throw err;
  }
}
