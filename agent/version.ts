// The agent's version, as reported in its hello frame. The agent's bundle has it built in (esbuild
// `define`, test/tools/agent-bundle.ts): the bundle ships without package.json, so reading it would
// fail there. From the compiled tree it is package.json's, read on demand.
declare const __BERTH_AGENT_VERSION__: string | undefined;

export async function agentVersion(): Promise<string> {
  if (typeof __BERTH_AGENT_VERSION__ === 'string') return __BERTH_AGENT_VERSION__;
  return (await import('../controller/version.js')).VERSION;
}
