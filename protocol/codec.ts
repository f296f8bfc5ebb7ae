// Decoding received frames: size check, JSON parse, dispatch on `type`, schema validation. Never
// throws; the caller replies with `error` and counts the rejection.
import { compileFrameValidators, type FrameValidator } from './frame-validators.js';
import type { AgentFrame, ControllerFrame } from './frames.js';
import { MAX_FRAME_BYTES } from './frames.js';
import { AGENT_FRAME_SCHEMAS, CONTROLLER_FRAME_SCHEMAS } from './schemas.js';

export type DecodeResult<F> =
  | { ok: true; frame: F }
  | { ok: false; code: 'too_large' | 'bad_json' | 'unknown_type' | 'invalid'; message: string; id?: string };

/**
 * The offending `type` for an error message. Never JSON.stringify it whole: a peer controls it, and
 * a `type` nested 20,000 arrays deep overflows the stack of the recursive JSON.stringify (a frame of
 * a few dozen KiB would then throw out of decode() — found by the protocol fuzz in test/chaos).
 */
function describeType(type: unknown): string {
  if (typeof type === 'string') return JSON.stringify(type.slice(0, 64));
  if (type === null || typeof type !== 'object') return String(type).slice(0, 64);
  return Array.isArray(type) ? 'an array' : 'an object';
}

export class FrameDecoder<F extends { type: string }> {
  private readonly validators: Map<string, FrameValidator>;
  constructor(schemas: Record<string, object>) { this.validators = compileFrameValidators(schemas); }

  decode(raw: string | Buffer): DecodeResult<F> {
    const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
    if (size > MAX_FRAME_BYTES) return { ok: false, code: 'too_large', message: `frame of ${size} bytes exceeds ${MAX_FRAME_BYTES}` };
    let value: unknown;
    try { value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')); } catch (err) {
      return { ok: false, code: 'bad_json', message: `not JSON: ${(err as Error).message}` };
    }
    const record = value !== null && typeof value === 'object' ? (value as { type?: unknown; id?: unknown }) : {};
    const type = record.type;
    const id = typeof record.id === 'string' ? record.id.slice(0, 128) : undefined;
    const validate = typeof type === 'string' ? this.validators.get(type) : undefined;
    if (!validate) {
      return { ok: false, code: 'unknown_type', message: `unknown frame type ${describeType(type)} (known: ${[...this.validators.keys()].join(', ')})`, ...(id ? { id } : {}) };
    }
    if (!validate(value)) {
      const e = validate.errors?.[0];
      const where = e ? `${type}${e.instancePath.replace(/\//g, '.')}` : String(type);
      const extra = e?.keyword === 'additionalProperties' ? ` "${String((e.params as { additionalProperty?: string }).additionalProperty)}"` : '';
      return { ok: false, code: 'invalid', message: `invalid ${type} frame: ${where} ${e?.message ?? 'is invalid'}${extra}`, ...(id ? { id } : {}) };
    }
    return { ok: true, frame: value as F };
  }
}

// One decoder per process and direction: a decoder holds only compiled validators (no per-call
// state survives a decode), and compiling them costs milliseconds — paid once per connection, a
// process with thousands of agent clients (bench/scale) spent its first seconds compiling.
let agentDecoder: FrameDecoder<AgentFrame> | undefined;
let controllerDecoder: FrameDecoder<ControllerFrame> | undefined;
/** Decodes what an agent sends (used by the controller's hub). Shared, compiled once. */
export const agentFrameDecoder = (): FrameDecoder<AgentFrame> => (agentDecoder ??= new FrameDecoder<AgentFrame>(AGENT_FRAME_SCHEMAS));
/** Decodes what the controller sends (used by the agent). Shared, compiled once. */
export const controllerFrameDecoder = (): FrameDecoder<ControllerFrame> => (controllerDecoder ??= new FrameDecoder<ControllerFrame>(CONTROLLER_FRAME_SCHEMAS));
