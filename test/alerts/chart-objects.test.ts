// The chart's monitoring objects against the real apiserver with the Prometheus Operator's own CRDs
// (bed component `prometheus`, from the operator's Go module): the ServiceMonitor, the metrics Service
// and the PrometheusRule pass a server-side dry run (schema and all), render only when enabled, and
// the ServiceMonitor selects the metrics Service and no other.
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { find, Helm, type K8sObject } from '../support/helm.js';
import { createTestNamespace, deleteTestNamespace, kubectl } from '../support/kube.js';
import { prometheusTool } from '../support/prometheus.js';

const helm = new Helm();
let ns = '';

test.before(async () => {
  const crds = prometheusTool('BERTH_TEST_PROMETHEUS_OPERATOR_CRDS');
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(crds, 'monitoring.coreos.com_servicemonitors.yaml'), '-f', join(crds, 'monitoring.coreos.com_prometheusrules.yaml')], { check: true, timeoutMs: 90_000 });
  await kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com'], { check: true, timeoutMs: 70_000 });
  ns = await createTestNamespace('bh-mon');
});
test.after(async () => { if (ns) await deleteTestNamespace(ns); helm.cleanup(); });

const monitoringKinds = (objects: K8sObject[]) => objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/') || o.metadata.name.endsWith('-metrics')).map((o) => o.kind).sort();

test('off by default: no ServiceMonitor, PrometheusRule or metrics Service', async () => {
  const { objects } = await helm.template('rel', ns);
  assert.equal(monitoringKinds(objects), []);
});

test('enabled: the objects pass a server-side dry run against the Operator CRDs', async () => {
  const { yaml, objects } = await helm.template('rel', ns, ['serviceMonitor.enabled=true', 'prometheusRule.enabled=true', 'serviceMonitor.labels.release=kube-prometheus-stack']);
  assert.equal(monitoringKinds(objects), ['PrometheusRule', 'Service', 'ServiceMonitor']);
  const only = yaml.split(/^---$/m).filter((doc) => /kind: (ServiceMonitor|PrometheusRule)|name: rel-berth-metrics\n/.test(doc)).join('\n---\n');
  const r = await kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], { input: only });
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, 'servicemonitor.monitoring.coreos.com/rel-berth created (server dry run)');
  assert.match(r.stdout, 'prometheusrule.monitoring.coreos.com/rel-berth created (server dry run)');
  assert.match(r.stdout, 'service/rel-berth-metrics created (server dry run)');
});

test('the apiserver refuses a broken ServiceMonitor (the dry run can fail)', async () => {
  const { objects } = await helm.template('rel', ns, ['serviceMonitor.enabled=true']);
  const sm = structuredClone(find(objects, 'ServiceMonitor')!) as K8sObject & { spec: { endpoints: Array<Record<string, unknown>> } };
  sm.spec.endpoints[0]!.scheme = 'gopher';
  const r = await kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], { input: JSON.stringify(sm) });
  assert.is.not(r.code, 0, r.stdout);
  assert.match(r.stderr, /scheme/);
});

test('the ServiceMonitor selects the headless metrics Service (every replica), not the leader-only Service', async () => {
  const { objects } = await helm.template('rel', ns, ['serviceMonitor.enabled=true']);
  const sm = find(objects, 'ServiceMonitor') as K8sObject & { spec: { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; honorLabels: boolean }> } };
  const services = objects.filter((o) => o.kind === 'Service');
  const selected = services.filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
  assert.equal(selected.map((s) => s.metadata.name), ['rel-berth-metrics']);
  const svc = selected[0] as K8sObject & { spec: { clusterIP: string; publishNotReadyAddresses: boolean; ports: Array<{ name: string }> } };
  assert.is(svc.spec.publishNotReadyAddresses, true, 'standbys are scraped too');
  assert.is(svc.spec.clusterIP, 'None');
  assert.is(sm.spec.endpoints[0]!.port, svc.spec.ports[0]!.name);
  assert.is(sm.spec.endpoints[0]!.honorLabels, true, "a host's namespace label stays namespace");
});

test('with TLS in the controller the ServiceMonitor scrapes https, verifying the Secret CA by the Service name', async () => {
  const { yaml, objects } = await helm.template('rel', ns, ['serviceMonitor.enabled=true', 'tls.secretName=berth-tls']);
  const sm = find(objects, 'ServiceMonitor') as K8sObject & { spec: { endpoints: Array<{ scheme?: string; tlsConfig?: { serverName?: string; ca?: { secret?: { name: string; key: string } } } }> } };
  assert.is(sm.spec.endpoints[0]!.scheme, 'https');
  assert.is(sm.spec.endpoints[0]!.tlsConfig?.serverName, `rel-berth.${ns}.svc`);
  assert.equal(sm.spec.endpoints[0]!.tlsConfig?.ca?.secret, { name: 'berth-tls', key: 'ca.crt' });
  const only = yaml.split(/^---$/m).filter((doc) => /kind: ServiceMonitor/.test(doc)).join('\n---\n');
  const r = await kubectl(['apply', '--dry-run=server', '-n', ns, '-f', '-'], { input: only });
  assert.is(r.code, 0, r.stderr + r.stdout);
  const plain = find((await helm.template('rel', ns, ['serviceMonitor.enabled=true'])).objects, 'ServiceMonitor') as typeof sm;
  assert.is(plain.spec.endpoints[0]!.scheme, undefined, 'no TLS: plain http');
});

test.run();
