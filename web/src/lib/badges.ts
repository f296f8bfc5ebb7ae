// Which badge colour (the `ok` / `warn` / `bad` classes of lib/styles.ts) a status gets. Pure, shared by
// the views; a badge always carries its text too, so colour is never the only signal.
import type { Condition, ContainerDecl, ContainerStatus } from '../../../protocol/resources.js';
import { readyCounts } from './format.js';

export type Badge = 'ok' | 'warn' | 'bad' | '';

/**
 * Conditions whose True is the abnormal state (Kubernetes' "abnormal-true" polarity, kstatus'):
 * Stalled True is a failure, Reconciling True work under way; False is fine for both.
 */
const ABNORMAL_TRUE: Readonly<Record<string, Badge>> = { Stalled: 'bad', Reconciling: 'warn' };

/** Whether C is in its good state (True, or False for an abnormal-true condition). */
export const conditionGood = (c: Condition): boolean => (c.type in ABNORMAL_TRUE ? c.status === 'False' : c.status === 'True');

/** A condition: good ok, False bad (abnormal-true: True bad/warn), Unknown warn; none at all, no colour. */
export const statusClass = (c: Condition | undefined): Badge => (!c ? '' : c.status === 'Unknown' ? 'warn' : conditionGood(c) ? 'ok' : ABNORMAL_TRUE[c.type] ?? 'bad');

/** A host's "ready x/y": all ready ok, none bad, some warn. */
export function readyClass(ready: string | undefined): Badge {
  const r = readyCounts(ready);
  return !r ? '' : r[0] === r[1] ? 'ok' : r[0] === 0 && r[1] > 0 ? 'bad' : 'warn';
}

/** A container: what Docker reports measured against what is declared. */
export function stateClass(desired: ContainerDecl | undefined, actual: ContainerStatus | undefined): Badge {
  if (!actual) return 'warn';
  if (actual.state === 'Failed' || actual.health === 'unhealthy') return 'bad';
  if (desired && desired.state === 'Running' && actual.state !== 'Running') return actual.state === 'Pending' || actual.state === 'Pulling' ? 'warn' : 'bad';
  return actual.ready || (desired?.state === 'Stopped' && actual.state !== 'Running') ? 'ok' : 'warn';
}
