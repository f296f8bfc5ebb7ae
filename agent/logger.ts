// The agent's logger: JSON lines on stdout with pino's fields ("level" as pino's number, "time" in
// epoch ms, the bindings, the call's fields, "msg"), so log pipelines and `jq` filters written for
// the pino logs keep working. Why not pino itself: at idle the agent logs a handful of lines an hour,
// and pino with sonic-boom, thread-stream and their helpers is ~2.8 MB of the agent's RSS
// (docs/performance.md, "bench/agent-footprint"). The controller keeps pino.
//
// Any structurally pino-compatible logger (a pino Logger, as the tests pass) is an AgentLogger too:
// the agent's modules only call the level methods and child().

/** One level method: `log.info({ fields }, 'message')` or `log.info('message')`. */
export interface LogFn {
  (fields: object, msg?: string): void;
  (msg: string): void;
}

export interface AgentLogger {
  trace: LogFn; debug: LogFn; info: LogFn; warn: LogFn; error: LogFn; fatal: LogFn;
  /** A logger whose lines also carry BINDINGS (e.g. { component: 'logs' }). */
  child(bindings: Record<string, unknown>): AgentLogger;
}

/** pino's level numbers: a line's "level" field. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;
export type LogLevel = LevelName | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export interface LoggerOptions {
  level: LogLevel;
  /** Fields on every line (pino's `base`). */
  base?: Record<string, unknown>;
  /** Where a line (with its "\n") goes; default stdout, synchronous for files, pipes and TTYs on Linux, so nothing is lost at exit. */
  write?: (line: string) => void;
  /** The clock, for tests. */
  now?: () => number;
}

/** An Error as pino's standard serializer shows it (its own enumerable fields, e.g. `code`, kept). */
function serializeError(err: Error): Record<string, unknown> {
  return { ...err, type: err.name, message: err.message, stack: err.stack };
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Error) return serializeError(value);
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** The JSON of FIELDS; a value JSON cannot hold (a cycle) costs the fields, never the line. */
function fieldsJson(fields: object): string {
  try {
    const s = JSON.stringify(fields instanceof Error ? { err: fields } : fields, replacer);
    return s === '{}' || s === undefined ? '' : s.slice(1, -1);
  } catch (err) {
    return `"logFieldsError":${JSON.stringify((err as Error).message)}`;
  }
}

class JsonLinesLogger implements AgentLogger {
  readonly trace: LogFn; readonly debug: LogFn; readonly info: LogFn;
  readonly warn: LogFn; readonly error: LogFn; readonly fatal: LogFn;

  /** BINDINGS: the bound fields' JSON, made once per logger rather than once per line. */
  constructor(private readonly opts: Required<Pick<LoggerOptions, 'level' | 'write' | 'now'>>, private readonly bindings: string) {
    const threshold = opts.level === 'silent' ? Infinity : LEVELS[opts.level];
    const method = (name: LevelName): LogFn => {
      const n = LEVELS[name];
      if (n < threshold) return noop;
      return ((a: object | string, msg?: string) => { this.line(n, a, msg); }) as LogFn;
    };
    this.trace = method('trace'); this.debug = method('debug'); this.info = method('info');
    this.warn = method('warn'); this.error = method('error'); this.fatal = method('fatal');
  }

  child(bindings: Record<string, unknown>): AgentLogger {
    const more = fieldsJson(bindings);
    return new JsonLinesLogger(this.opts, [this.bindings, more].filter(Boolean).join(','));
  }

  private line(level: number, a: object | string, msg?: string): void {
    const fields = typeof a === 'string' ? '' : fieldsJson(a);
    const text = typeof a === 'string' ? a : msg ?? (a instanceof Error ? a.message : undefined);
    const parts = [`"level":${level}`, `"time":${this.opts.now()}`, this.bindings, fields];
    if (text !== undefined) parts.push(`"msg":${JSON.stringify(text)}`);
    this.opts.write(`{${parts.filter(Boolean).join(',')}}\n`);
  }
}

const noop: LogFn = () => {};

export function createLogger(opts: LoggerOptions): AgentLogger {
  const write = opts.write ?? ((line: string) => { process.stdout.write(line); });
  return new JsonLinesLogger({ level: opts.level, write, now: opts.now ?? Date.now }, fieldsJson(opts.base ?? {}));
}

/** A logger that drops everything: the default of the agent's modules when none is given. */
export const silentLogger: AgentLogger = createLogger({ level: 'silent', write: () => {} });
