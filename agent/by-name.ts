// The agent's one sort order for what it reports (containers, stats): by name, in UTF-16 code units.
// Not localeCompare(): that builds an ICU collator, which pages ~2 MB of ICU's collation data into the
// agent's RSS for good (measured with bench/agent-footprint, docs/performance.md), and its order
// depends on the process's locale; Docker names are ASCII, where code-unit order is well defined.
export function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
