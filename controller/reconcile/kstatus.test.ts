import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { progressConditions } from './kstatus.js';

const NOW = '2026-11-21T10:00:00Z';

test('reconciling: Reconciling True with the reason, Stalled False, both at the generation', () => {
  const [r, s] = progressConditions({ state: 'reconciling', reason: 'Progressing', message: 'converging: web' }, 4, NOW);
  assert.equal([r.type, r.status, r.reason, r.observedGeneration, r.lastTransitionTime], ['Reconciling', 'True', 'Progressing', 4, NOW]);
  assert.equal([s.type, s.status, s.reason, s.observedGeneration], ['Stalled', 'False', 'Progressing', 4]);
});

test('stalled: never both True; Reconciling says why it stopped', () => {
  const [r, s] = progressConditions({ state: 'stalled', reason: 'NameConflict', message: 'web: held' }, 2, NOW);
  assert.equal([r.status, r.reason], ['False', 'Stalled']);
  assert.equal([s.status, s.reason, s.message], ['True', 'NameConflict', 'web: held']);
});

test('settled: both False; lastTransitionTime kept while the status does not change', () => {
  const before = progressConditions({ state: 'settled', reason: 'Ready', message: '1/1' }, 1, '2026-01-01T00:00:00Z');
  const [r, s] = progressConditions({ state: 'settled', reason: 'Ready', message: '1/1' }, 2, NOW, before);
  assert.equal([r.status, s.status], ['False', 'False']);
  assert.is(r.lastTransitionTime, '2026-01-01T00:00:00Z');
  assert.is(r.observedGeneration, 2);
  const [r2] = progressConditions({ state: 'reconciling', reason: 'Progressing', message: '' }, 2, NOW, before);
  assert.is(r2.lastTransitionTime, NOW);
});

test.run();
