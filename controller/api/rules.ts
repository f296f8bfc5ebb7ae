// TypeScript twins of the CEL rules (x-kubernetes-validations) in crds/. The apiserver runs the CEL;
// `berth validate` and the directory store run these. Each twin is keyed by the rule's exact
// `message`, so the schema walker finds it from the CRD itself and a test proves that every CEL rule
// has a twin and every twin a rule. The parity test proves they agree on real manifests.
//
// A twin gets the node's value after defaulting (as CEL does) and returns the violations, each with
// a path below that node so the error names the exact field (CEL can only name the rule's node).
import { parseDurationMs } from './duration.js';
import { intOrQuantity, isQuantity, quantityValue } from './quantity.js';
// The same path rules the agent enforces again; NORMALIZED_ABSOLUTE_PATH is the regex the CRD hands to CEL's matches().
import { NORMALIZED_ABSOLUTE_PATH, capabilityAllowed, deviceAllowed, sysctlAllowed, underAllowedRoot } from '../../protocol/policy.js';
import { isIpAddress, isCidr } from './ip.js';
import { DEPENDS_ON_TWINS } from './depends-on.js';

export type PathSegment = string | number;
export interface Violation { path: PathSegment[]; detail?: string }
export type RuleTwin = (self: unknown) => Violation[];

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' ? (v as Json) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const DURATION_SHAPE = /^([0-9]+([.][0-9]+)?(h|m|s|ms))+$/;


/** A twin that checks each container with `bad`, reporting `field` of the offending ones. */
function eachContainer(field: string, bad: (container: Json, spec: Json) => string | undefined): RuleTwin {
  return (self) => {
    const spec = obj(self);
    const out: Violation[] = [];
    list(spec.containers).forEach((c, i) => {
      const detail = bad(obj(c), spec);
      if (detail !== undefined) out.push({ path: ['containers', i, field], detail });
    });
    return out;
  };
}

const pass = (ok: boolean, path: PathSegment[] = []): Violation[] => (ok ? [] : [{ path }]);

/** A twin that checks each entry of each container's list FIELD with `bad`, reporting the entry (or its SUB field). */
function eachItem(field: string, bad: (item: unknown, spec: Json) => string | undefined, sub?: string): RuleTwin {
  return (self) => {
    const spec = obj(self);
    const out: Violation[] = [];
    list(spec.containers).forEach((c, i) => list(obj(c)[field]).forEach((item, j) => {
      const detail = bad(item, spec);
      if (detail !== undefined) out.push({ path: ['containers', i, field, j, ...(sub ? [sub] : [])], detail: `container "${String(obj(c).name)}": ${detail}` });
    }));
    return out;
  };
}

export const RULE_TWINS: Readonly<Record<string, RuleTwin>> = {
  // ContainerHost spec: the host's policy, enforced on every container.
  'privileged containers need spec.policy.allowPrivileged: true': eachContainer('privileged', (c, spec) =>
    c.privileged === true && obj(spec.policy).allowPrivileged !== true ? `container "${String(c.name)}"` : undefined),

  'network: host needs spec.policy.allowHostNetwork: true': eachContainer('network', (c, spec) =>
    c.network === 'host' && obj(spec.policy).allowHostNetwork !== true ? `container "${String(c.name)}"` : undefined),

  'hostPath volumes must lie under one of spec.policy.allowedHostPaths': (self) => {
    const spec = obj(self);
    const roots = list(obj(spec.policy).allowedHostPaths).map(String);
    const out: Violation[] = [];
    list(spec.containers).forEach((c, i) => list(obj(c).volumes).forEach((v, j) => {
      const hostPath = obj(v).hostPath;
      if (typeof hostPath === 'string' && !underAllowedRoot(hostPath, roots)) {
        out.push({ path: ['containers', i, 'volumes', j, 'hostPath'], detail: `"${hostPath}" (allowed: ${roots.length ? roots.join(', ') : 'none'})` });
      }
    }));
    return out;
  },

  'each hostPort and protocol pair may be published once per host': (self) => {
    const seen = new Map<string, string>();
    const out: Violation[] = [];
    list(obj(self).containers).forEach((c, i) => list(obj(c).ports).forEach((p, j) => {
      const port = obj(p);
      if (port.hostPort === undefined) return;
      const key = `${String(port.hostPort)}/${String(port.protocol)}`;
      const first = seen.get(key);
      if (first) out.push({ path: ['containers', i, 'ports', j, 'hostPort'], detail: `${key} is already published by container "${first}"` });
      else seen.set(key, String(obj(c).name));
    }));
    return out;
  },

  // Field-level rules.
  "must be an absolute, normalized path (no '.', '..', '//' or trailing '/')": (self) =>
    pass(typeof self === 'string' && NORMALIZED_ABSOLUTE_PATH.test(self)),

  'exactly one of value or valueFrom must be set': (self) =>
    pass(('value' in obj(self)) !== ('valueFrom' in obj(self))),

  'exactly one of hostPath, volume or files must be set': (self) =>
    pass(['hostPath', 'volume', 'files'].filter((k) => k in obj(self)).length === 1),

  // Issue 14: the gated run options, enforced against the host policy like privileged.
  'capAdd capabilities must be listed in spec.policy.allowCapabilities': eachItem('capAdd', (x, spec) =>
    capabilityAllowed(String(x), list(obj(spec.policy).allowCapabilities).map(String)) ? undefined : String(x)),

  'devices must be listed in spec.policy.allowDevices': eachItem('devices', (d, spec) =>
    deviceAllowed(String(obj(d).hostPath), list(obj(spec.policy).allowDevices).map(String)) ? undefined : String(obj(d).hostPath), 'hostPath'),

  'sysctls must be allowed by spec.policy.allowSysctls': eachItem('sysctls', (x, spec) =>
    sysctlAllowed(String(obj(x).name), list(obj(spec.policy).allowSysctls).map(String)) ? undefined : String(obj(x).name), 'name'),

  'deviceRequests (GPUs) need spec.policy.allowGPUs: true': eachContainer('deviceRequests', (c, spec) =>
    list(c.deviceRequests).length > 0 && obj(spec.policy).allowGPUs !== true ? `container "${String(c.name)}"` : undefined),

  'set either network or networks: with networks, leave network at its default (bridge)': eachContainer('network', (c) =>
    list(c.networks).length > 0 && c.network !== 'bridge' ? `container "${String(c.name)}" has network "${String(c.network)}"` : undefined),

  ...DEPENDS_ON_TWINS,

  "host and none are not networks a container can join next to others; use network instead": (self) =>
    pass(self !== 'host' && self !== 'none'),

  "bridge, host, none and default are Docker's own networks": (self) =>
    pass(!['bridge', 'host', 'none', 'default'].includes(String(self))),

  'label keys must be at most 253 characters and not under berth.dev/ (reserved for Berth)': (self) =>
    Object.keys(obj(self)).filter((k) => k.startsWith('berth.dev/') || k.length > 253).map((k) => ({ path: [k] })),

  'must be an IP address or host-gateway': (self) => pass(self === 'host-gateway' || isIpAddress(String(self))),

  'must be an IP address': (self) => pass(isIpAddress(String(self))),

  'must be a subnet in CIDR notation, e.g. 172.30.0.0/24': (self) => pass(isCidr(String(self))),

  'must be a positive quantity, e.g. 64Mi or 1048576': (self) =>
    pass(typeof self === 'number' ? Number.isInteger(self) && self > 0 : typeof self === 'string' && isQuantity(self) && (quantityValue(self) ?? 0) > 0),

  'soft must not exceed hard': (self) => pass(Number(obj(self).soft) <= Number(obj(self).hard), ['soft']),

  'exactly one of configMapRef or secretRef must be set': (self) =>
    pass(('configMapRef' in obj(self)) !== ('secretRef' in obj(self))),

  'exactly one of configMap or secret must be set': (self) =>
    pass(('configMap' in obj(self)) !== ('secret' in obj(self))),

  'count and deviceIDs cannot both be set': (self) => pass(!('count' in obj(self) && 'deviceIDs' in obj(self))),

  'must be a positive quantity of cores, e.g. 0.5, 500m or 2': (self) =>
    pass(typeof self === 'number' ? Number.isInteger(self) && self > 0 : typeof self === 'string' && isQuantity(self) && (quantityValue(self) ?? 0) > 0),

  'must be a quantity of at least 6Mi, e.g. 256Mi or 1Gi': (self) => atLeast(self, 6 * 2 ** 20),

  'must be a quantity of at least 1Ki, e.g. 10Mi': (self) => atLeast(self, 1024),

  // AgentToken.
  'must be a duration between 1m and 87600h, e.g. 720h or 90m': (self) => {
    const ms = typeof self === 'string' && DURATION_SHAPE.test(self) ? parseDurationMs(self) : undefined;
    return pass(ms !== undefined && ms >= 60_000 && ms <= 87_600 * 3_600_000);
  },

  // ContainerSet.
  'In and NotIn need values; Exists and DoesNotExist take none': (self) => {
    const e = obj(self);
    const hasValues = list(e.values).length > 0;
    return pass((e.operator === 'In' || e.operator === 'NotIn') === hasValues, ['values']);
  },
  'must be a count of at least 1 or a percent from 1% to 100%': (self) =>
    pass(typeof self === 'number' ? Number.isInteger(self) && self >= 1 : typeof self === 'string' && /^[1-9][0-9]?%$|^100%$/.test(self)),
};

function atLeast(self: unknown, min: number): Violation[] {
  if (typeof self === 'number') return pass(Number.isInteger(self) && self >= min);
  const value = typeof self === 'string' ? intOrQuantity(self) : undefined;
  return pass(typeof self === 'string' && isQuantity(self) && value !== undefined && value >= min);
}
