// The operator verbs that act (`berth restart`, `berth exec`), loaded on demand like every command.
type Command = (argv: string[]) => number | Promise<number>;

export const OPERATOR_VERBS: Record<string, () => Promise<Command>> = {
  restart: async () => (await import('./restart.js')).runRestart,
  exec: async () => { const { runExec } = await import('./exec.js'); return (argv) => runExec(argv); },
};
