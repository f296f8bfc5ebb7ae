// `berth controller`'s stats flags, parsed here so the controller's option list grows by one line.
import { UsageError } from './usage.js';

export const STATS_OPTIONS = {
  'stats-history': { type: 'string' }, 'stats-resolution': { type: 'string' }, 'container-metrics': { type: 'boolean' },
} as const;

export const STATS_HELP = `  --stats-history SECS
                       how much container resource history to keep in memory (default 3600)
  --stats-resolution SECS
                       one history point per this many seconds (default 10; agents sample
                       every 10 s unless their --stats-interval says otherwise)
  --container-metrics  export per-container gauges on /metrics (berth_container_*; six series
                       per container: mind the cardinality of large fleets, docs/stats.md)`;

export interface StatsFlags { resolutionSeconds: number; windowSeconds: number; containerMetrics: boolean }

export function parseStatsOptions(values: { 'stats-history'?: string; 'stats-resolution'?: string; 'container-metrics'?: boolean }): StatsFlags {
  const resolution = values['stats-resolution'] === undefined ? 10 : Number(values['stats-resolution']);
  if (!Number.isInteger(resolution) || resolution < 1 || resolution > 3600) throw new UsageError(`--stats-resolution must be a whole number of seconds from 1 to 3600 (got "${values['stats-resolution']}")`);
  const window = values['stats-history'] === undefined ? 3600 : Number(values['stats-history']);
  if (!Number.isInteger(window) || window < resolution || window > 7 * 86400) {
    throw new UsageError(`--stats-history must be a whole number of seconds from --stats-resolution (${resolution}) to 604800 (got "${values['stats-history']}")`);
  }
  return { resolutionSeconds: resolution, windowSeconds: window, containerMetrics: values['container-metrics'] === true };
}
