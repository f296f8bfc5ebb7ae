// The printer columns come from the CRDs, and the JSONPath subset and ages print as kubectl does.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { age, cell, formatTable, jsonPathValue, printerColumns } from './columns.js';

test('ContainerHost columns are the CRD\'s: Agent, Ready, Synced, Age; wide adds Hostname, Agent-Version', () => {
  const cols = printerColumns('containerhosts.yaml');
  assert.equal(cols.filter((c) => !c.priority).map((c) => c.name), ['Agent', 'Ready', 'Synced', 'Age']);
  assert.equal(cols.filter((c) => c.priority).map((c) => c.name), ['Hostname', 'Agent-Version']);
});

test('JSONPath: fields, the condition filter, and nothing for what it does not understand', () => {
  const h = { status: { ready: '1/2', conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] } };
  assert.is(jsonPathValue(h, '.status.ready'), '1/2');
  assert.is(jsonPathValue(h, '.status.conditions[?(@.type=="Ready")].status'), 'True');
  assert.is(jsonPathValue(h, '.status.conditions[?(@.type=="Nope")].status'), undefined);
  assert.is(jsonPathValue(h, '.status.conditions[0]'), undefined);
});

test('ages like kubectl', () => {
  const now = Date.parse('2026-01-10T00:00:00Z');
  const at = (s: number) => new Date(now - s * 1000).toISOString();
  assert.equal([age(at(5), now), age(at(330), now), age(at(3600), now), age(at(4 * 3600 + 600), now), age(at(3 * 86400), now), age(at(800 * 86400), now)], ['5s', '5m30s', '60m', '4h10m', '3d', '2y']);
  assert.is(age(undefined, now), '<unknown>');
  assert.is(cell(undefined, 'string'), '');
});

test('tables: upper-case headers, three spaces apart, no trailing blanks', () => {
  assert.is(formatTable(['Name', 'Ready'], [['a', '1/1'], ['longer', '']]), 'NAME     READY\na        1/1\nlonger');
});

test.run();
