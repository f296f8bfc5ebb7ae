// Protocol fuzzing: random and mutated frames, from a seeded random source (so a failure replays
// from its seed). Mutations start from valid frames of protocol/ and drop or alter fields, give
// fields wrong types, huge strings, deep nesting, extra or duplicated keys, prototype-polluting keys,
// unknown types, broken JSON, random text, binary frames, invalid UTF-8 and oversized frames.
//
// The oracle is the protocol's own decoder (protocol/codec.ts) applied to the exact bytes sent: a
// frame it rejects must get an `error` reply with the same code; one it accepts must not (DESIGN §4).
// Frames that cannot be answered — invalid UTF-8 (WebSocket close 1007) and frames over the 1 MiB
// maxPayload (close 1009) — are "terminal": the peer closes the connection, with that code.
import { FrameDecoder } from '../../protocol/codec.js';
import { MAX_FRAME_BYTES } from '../../protocol/frames.js';
import { AGENT_FRAME_SCHEMAS, CONTROLLER_FRAME_SCHEMAS } from '../../protocol/schemas.js';
import type { Rng } from './support.js';

export interface FuzzFrame {
  data: string | Buffer;
  binary: boolean;
  /** The mutation that made it (for the failure message). */
  kind: string;
  /** The close code the receiver must answer with instead of a reply. */
  terminal?: 1007 | 1009;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const observedContainer = (i: number): Json => ({
  name: `fz-${i}`, containerID: `c0ffee${i}`, image: 'busybox:1', imageID: `sha256:${'a'.repeat(64)}`, state: 'running', health: 'none',
  restartCount: i, startedAt: '2026-01-01T00:00:00Z', exitCode: 0, specHash: 'h1', hostUid: 'u1',
});
const dockerOk: Json = { ok: true, version: '20.10.24', cpus: 2, memoryBytes: 1 << 30 };
const policy: Json = { allowPrivileged: false, allowHostNetwork: false, allowedHostPaths: ['/srv'] };

/** Valid frames an agent sends (what the hub is fuzzed with). */
export function agentCorpus(): Json[] {
  return [
    { type: 'hello', protocolVersion: 1, agent: { version: '0.1.0', hostname: 'fuzz', os: 'linux', arch: 'x64' }, docker: dockerOk, containers: [observedContainer(1)] },
    { type: 'observed', docker: dockerOk, containers: [observedContainer(1), observedContainer(2)] },
    { type: 'observed', docker: { ok: false, error: 'Docker unavailable' }, containers: [] },
    { type: 'result', id: 'apply-1', ok: true, container: observedContainer(3) },
    { type: 'result', id: 'apply-2', ok: false, error: { code: 'PullFailed', message: 'no such image' } },
    { type: 'log', stream: 's-1', entries: [{ t: '2026-01-01T00:00:00.000Z', s: 'out', l: 'hello' }, { t: '2026-01-01T00:00:00.001Z', s: 'err', l: 'oops' }] },
    { type: 'logEnd', stream: 's-1', reason: 'container exited' },
    { type: 'error', id: 'x-1', code: 'invalid', message: 'bad frame' },
  ];
}

/** Valid frames a controller sends (what the agent is fuzzed with). */
export function controllerCorpus(host: { namespace: string; name: string; uid: string }): Json[] {
  const spec: Json = {
    name: 'fz-web', image: 'berth-fuzz/none:1', imagePullPolicy: 'Never', state: 'Running', command: ['sh'], args: ['-c', 'true'],
    env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 80, protocol: 'TCP' }], volumes: [{ volume: 'fz-vol', mountPath: '/data', readOnly: false }],
    restartPolicy: 'Always', network: 'none', privileged: false, stopTimeoutSeconds: 1, logging: { maxSizeBytes: 1048576, maxFiles: 1 }, specHash: 'h1',
  };
  return [
    { type: 'welcome', protocolVersion: 1, host, policy, resyncSeconds: 300 },
    { type: 'apply', id: 'apply-1', container: spec, policy, hostUid: host.uid },
    { type: 'remove', id: 'remove-1', name: 'fz-web' },
    { type: 'logs', stream: 's-1', name: 'fz-web', tail: 10, follow: false },
    { type: 'logsCancel', stream: 's-1' },
    { type: 'error', id: 'x-1', code: 'invalid', message: 'bad frame' },
  ];
}

const clone = (v: Json): Json => JSON.parse(JSON.stringify(v)) as Json;

/** Every (container, key) pair in a JSON value, depth-first. */
function slots(v: Json, out: Array<{ parent: Json[] | Record<string, Json>; key: string | number }> = []) {
  if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); slots(x, out); });
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); slots(v[k]!, out); }
  return out;
}

const setSlot = (s: { parent: Json[] | Record<string, Json>; key: string | number }, value: Json) => { (s.parent as Record<string | number, Json>)[s.key] = value; };

const WRONG: Json[] = [0, -1, 1.5, 2 ** 53, -(2 ** 31) - 1, 1e308, '', 'x', true, false, null, [], {}, ['a'], { a: 1 }];

function randomText(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    s += r < 0.6 ? String.fromCharCode(rng.int(0x20, 0x7e)) : r < 0.8 ? String.fromCharCode(rng.int(0, 0x1f)) : r < 0.95 ? String.fromCharCode(rng.int(0xa0, 0xd7ff)) : String.fromCodePoint(rng.int(0x10000, 0x10ffff));
  }
  return s;
}

export interface FuzzOptions {
  /** Allow the two terminal kinds (the receiver closes the connection). */
  terminal: boolean;
}

/** A stream of fuzz frames drawn from `corpus`. */
export class Fuzzer {
  constructor(private readonly rng: Rng, private readonly corpus: Json[], private readonly opts: FuzzOptions) {}

  next(): FuzzFrame {
    const rng = this.rng;
    const base = clone(rng.pick(this.corpus));
    const text = (v: Json, kind: string): FuzzFrame => ({ data: JSON.stringify(v), binary: false, kind });
    const r = rng.next() * 100;
    if (r < 10) return text(base, 'valid');
    if (r < 22) {                                   // drop a field somewhere
      const s = slots(base).filter((x) => !Array.isArray(x.parent));
      if (s.length) { const x = rng.pick(s); delete (x.parent as Record<string, Json>)[x.key as string]; }
      return text(base, 'drop-field');
    }
    if (r < 38) {                                   // a field of the wrong type / out of range
      const s = slots(base);
      if (s.length) setSlot(rng.pick(s), clone(rng.pick(WRONG)));
      return text(base, 'wrong-type');
    }
    if (r < 45) {                                   // an extra property somewhere
      const objs = [base, ...slots(base).map((x) => (x.parent as Record<string, Json>)[x.key as string] as Json)].filter((v) => v && typeof v === 'object' && !Array.isArray(v)) as Array<Record<string, Json>>;
      rng.pick(objs)[rng.pick(['extra', 'x', '$ref', 'toString', 'valueOf'])] = rng.pick(WRONG);
      return text(base, 'extra-field');
    }
    if (r < 51) {                                   // unknown or odd type
      (base as Record<string, Json>).type = rng.pick(['launch', 'HELLO', 'apply', 'welcome', '', 'hello ', 'constructor', '__proto__', 'toString']);
      return text(base, 'unknown-type');
    }
    if (r < 54) {                                   // a huge string (sometimes past the limit)
      const strs = slots(base).filter((x) => typeof (x.parent as Record<string | number, Json>)[x.key] === 'string');
      const over = this.opts.terminal && rng.chance(0.25);
      const size = over ? MAX_FRAME_BYTES + rng.int(1, 512 * 1024) : rng.int(16 * 1024, MAX_FRAME_BYTES - 4096);
      if (strs.length) setSlot(rng.pick(strs), rng.chance(0.5) ? 'A'.repeat(size) : 'é'.repeat(Math.floor(size / 2)));
      const data = JSON.stringify(base);
      return Buffer.byteLength(data) > MAX_FRAME_BYTES
        ? (this.opts.terminal ? { data, binary: false, kind: 'huge-string', terminal: 1009 } : text(base, 'huge-string'))
        : { data, binary: false, kind: 'huge-string' };
    }
    if (r < 57) {                                   // deep nesting in place of some value
      const s = slots(base);
      if (s.length) setSlot(rng.pick(s), '__DEEP__');
      else (base as Record<string, Json>).deep = '__DEEP__';
      const shell = JSON.stringify(base);
      const open = rng.chance(0.5) ? '[' : '{"a":';
      const close = open === '[' ? ']' : '}';
      const most = Math.floor((MAX_FRAME_BYTES - shell.length - 16) / (open.length + close.length));
      const depth = rng.chance(0.5) ? rng.int(100, 5_000) : rng.int(5_000, most);
      const data = shell.replace('"__DEEP__"', `${open.repeat(depth)}1${close.repeat(depth)}`);
      return { data, binary: false, kind: 'deep-nesting' };
    }
    if (r < 65) {                                   // broken JSON
      const s = JSON.stringify(base);
      const cut = rng.int(0, s.length - 1);
      const variants = [s.slice(0, cut), `${s.slice(0, cut)}\u0000${s.slice(cut)}`, s.replace(/"/, "'"), `${s},`, `${s}${s}`, s.replace(/:/, '::'), '', ' ', 'NaN', '{"type":"hello",}'];
      return { data: rng.pick(variants), binary: false, kind: 'bad-json' };
    }
    if (r < 71) return { data: randomText(rng, rng.int(0, 300)), binary: false, kind: 'random-text' };
    if (r < 75) {                                   // binary frames: random bytes or a valid frame
      const data = rng.chance(0.5) ? Buffer.from(Array.from({ length: rng.int(0, 512) }, () => rng.int(0, 255))) : Buffer.from(JSON.stringify(base));
      return { data, binary: true, kind: 'binary' };
    }
    if (r < 77 && this.opts.terminal) {             // invalid UTF-8 inside a text frame
      const json = Buffer.from(JSON.stringify(base));
      const at = rng.int(1, json.length - 1);
      const bad = rng.pick([[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]]);
      return { data: Buffer.concat([json.subarray(0, at), Buffer.from(bad), json.subarray(at)]), binary: false, kind: 'invalid-utf8', terminal: 1007 };
    }
    if (r < 80) {                                   // keys that pollute prototypes in naive code
      const key = rng.pick(['__proto__', 'constructor', 'prototype']);
      const s = JSON.stringify(base);
      return { data: s.replace(/^\{/, `{"${key}":{"polluted":true,"isAdmin":true},`), binary: false, kind: 'proto-keys' };
    }
    if (r < 86) {                                   // numbers at the edges
      const nums = slots(base).filter((x) => typeof (x.parent as Record<string | number, Json>)[x.key] === 'number');
      const s = JSON.stringify(base);
      if (!nums.length) return { data: s.replace(/"type"/, '"n":1e999,"type"'), binary: false, kind: 'number-edge' };
      setSlot(rng.pick(nums), '__NUM__');
      return { data: JSON.stringify(base).replace('"__NUM__"', rng.pick(['1e999', '-1e999', '-0', '0.0000001', '9007199254740993', '-9007199254740993', '1E2', '12345678901234567890123'])), binary: false, kind: 'number-edge' };
    }
    if (r < 90) {                                   // duplicated keys: JSON.parse keeps the last
      const s = JSON.stringify(base);
      return { data: s.replace(/^\{"type":("[^"]*")/, `{"type":$1,"type":${JSON.stringify(rng.pick(['hello', 'x', 1, null]))}`), binary: false, kind: 'duplicate-keys' };
    }
    if (r < 93) return { data: rng.pick(['null', '42', '"hello"', '[]', '[{"type":"hello"}]', 'true', '{}', '{"type":null}', '{"type":{}}']), binary: false, kind: 'not-an-object' };
    if (r < 96) {                                   // a huge id / array
      const b = base as Record<string, Json>;
      if (rng.chance(0.5)) b.id = 'i'.repeat(rng.int(129, 100_000));
      else b.containers = Array.from({ length: rng.int(1001, 3000) }, (_, i) => observedContainer(i));
      return text(b, 'huge-id-or-array');
    }
    if (r < 96.5 && this.opts.terminal) return { data: 'x'.repeat(MAX_FRAME_BYTES + rng.int(1, 1024 * 1024)), binary: false, kind: 'oversized', terminal: 1009 };
    return text(base, 'valid');
  }
}

/** What the receiver must answer to one frame, by its own decoder. */
export type Expectation =
  | { reply: 'error'; code: string }
  | { reply: 'none'; type: string }
  | { reply: 'close'; code: number };

export function expectation(frame: FuzzFrame, decoder: FrameDecoder<{ type: string }>, binaryCode: string): Expectation {
  if (frame.terminal) return { reply: 'close', code: frame.terminal };
  if (frame.binary) return { reply: 'error', code: binaryCode };
  const d = decoder.decode(frame.data);
  return d.ok ? { reply: 'none', type: d.frame.type } : { reply: 'error', code: d.code };
}

export const agentDecoder = () => new FrameDecoder<{ type: string }>(AGENT_FRAME_SCHEMAS);
export const controllerDecoder = () => new FrameDecoder<{ type: string }>(CONTROLLER_FRAME_SCHEMAS);
