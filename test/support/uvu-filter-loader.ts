// A module resolution hook (node:module register) installed by uvu-hooks.ts only when the runner got
// `--test`: it resolves the bare specifier 'uvu' imported by any module other than uvu-filter.js (and uvu's own) to
// uvu-filter.js, which registers only the tests whose name matches.
const FILTER = new URL('./uvu-filter.js', import.meta.url).href;

interface ResolveContext { parentURL?: string }
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === 'uvu' && context.parentURL !== FILTER && !context.parentURL?.includes('/node_modules/uvu/')) return { url: FILTER, shortCircuit: true };
  return next(specifier, context);
}
