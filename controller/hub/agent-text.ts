// Strings an agent sends are the agent's word, and an agent may be hostile: before they reach the
// inventory, status, Events or log lines, each is length-capped (tighter than the frame schema's
// limits, which only bound the frame) and stripped of control characters (terminal escape codes
// that would rewrite an operator's terminal when a log or `kubectl describe` is printed, and the
// Unicode bidi overrides that make text read differently from what it is). Container log lines are
// NOT touched here: they are the containers' own output, shown as text by the page.
import type { DockerFacts, ObservedContainer } from '../../protocol/container.js';
import type { AgentFrame } from '../../protocol/frames.js';

/** The caps, documented in docs/security.md ("Bounded agent reports"). */
export const AGENT_TEXT_CAPS = {
  name: 128, id: 128, image: 512, time: 64, hash: 128,
  agentVersion: 64, hostname: 253, os: 32, arch: 32, dockerVersion: 64,
  message: 2048, code: 64,
} as const;

// C0 and C1 controls (ESC included), DEL, and the bidi embedding/override/isolate characters.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const BREAKS = /[\t\n\r]+/g;

/** TEXT without control characters (tabs and line breaks become one space), at most MAX characters. */
export function cleanAgentText(text: string, max: number): string {
  const clean = text.replace(BREAKS, ' ').replace(CONTROL, '');
  if (clean.length <= max) return clean;
  return `${clean.slice(0, Math.max(0, max - 1))}…`;
}

const C = AGENT_TEXT_CAPS;
const opt = (s: string | undefined, max: number) => (s === undefined ? undefined : cleanAgentText(s, max));

function cleanContainer(o: ObservedContainer): ObservedContainer {
  const out: ObservedContainer = {
    ...o,
    name: cleanAgentText(o.name, C.name), containerID: cleanAgentText(o.containerID, C.id),
    image: cleanAgentText(o.image, C.image), imageID: cleanAgentText(o.imageID, C.image),
  };
  for (const [k, max] of [['startedAt', C.time], ['finishedAt', C.time], ['specHash', C.hash], ['hostUid', C.id]] as const) {
    const v = opt(o[k], max);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function cleanDocker(d: DockerFacts): DockerFacts {
  return d.ok ? { ...d, version: cleanAgentText(d.version, C.dockerVersion) } : { ...d, error: cleanAgentText(d.error, C.message) };
}

/** FRAME with every agent-chosen string that the controller keeps or shows cleaned and capped. */
export function cleanAgentFrame(frame: AgentFrame): AgentFrame {
  switch (frame.type) {
    case 'hello':
      return {
        ...frame, docker: cleanDocker(frame.docker), containers: frame.containers.map(cleanContainer),
        agent: { version: cleanAgentText(frame.agent.version, C.agentVersion), hostname: cleanAgentText(frame.agent.hostname, C.hostname), os: cleanAgentText(frame.agent.os, C.os), arch: cleanAgentText(frame.agent.arch, C.arch) },
      };
    case 'observed':
      return { ...frame, docker: cleanDocker(frame.docker), containers: frame.containers.map(cleanContainer) };
    case 'result':
      return {
        ...frame,
        ...(frame.error ? { error: { code: cleanAgentText(frame.error.code, C.code), message: cleanAgentText(frame.error.message, C.message) } } : {}),
        ...(frame.container ? { container: cleanContainer(frame.container) } : {}),
      };
    case 'error':
      return { ...frame, code: cleanAgentText(frame.code, C.code), message: cleanAgentText(frame.message, C.message) };
    case 'execEnd':
      return frame.error ? { ...frame, error: { code: cleanAgentText(frame.error.code, C.code), message: cleanAgentText(frame.error.message, C.message) } } : frame;
    case 'logEnd':
      return frame.reason === undefined ? frame : { ...frame, reason: cleanAgentText(frame.reason, C.message) };
    default:
      return frame;
  }
}
