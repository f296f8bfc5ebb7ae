import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { describeRequest, kubeRequestCounter } from './request-metrics.js';

test('describeRequest: verb and resource (with subresource) from core and group URLs, namespaced or not', () => {
  assert.equal(describeRequest({ method: 'PATCH', url: 'https://k:6443/apis/berth.dev/v1alpha1/namespaces/a/containerhosts/h1/status' }), { verb: 'patch', resource: 'containerhosts/status' });
  assert.equal(describeRequest({ method: 'PATCH', url: 'https://k:6443/apis/berth.dev/v1alpha1/namespaces/a/containerhosts/h1' }), { verb: 'patch', resource: 'containerhosts' });
  assert.equal(describeRequest({ method: 'POST', url: 'https://k:6443/api/v1/namespaces/a/secrets' }), { verb: 'post', resource: 'secrets' });
  assert.equal(describeRequest({ method: 'GET', url: 'https://k:6443/api/v1/namespaces/a/secrets/h%2D1' }), { verb: 'get', resource: 'secrets' });
  assert.equal(describeRequest({ method: 'POST', url: '/apis/authorization.k8s.io/v1/subjectaccessreviews' }), { verb: 'post', resource: 'subjectaccessreviews' });
});

test('kubeRequestCounter counts by verb and resource', async () => {
  const registry = new Registry();
  const observe = kubeRequestCounter(registry);
  observe({ method: 'POST', url: 'https://k/api/v1/namespaces/a/secrets' });
  observe({ method: 'POST', url: 'https://k/api/v1/namespaces/b/secrets' });
  observe({ method: 'PATCH', url: 'https://k/apis/berth.dev/v1alpha1/namespaces/a/agenttokens/t/status' });
  const text = await registry.metrics();
  assert.match(text, 'berth_kube_requests_total{verb="post",resource="secrets"} 2');
  assert.match(text, 'berth_kube_requests_total{verb="patch",resource="agenttokens/status"} 1');
});

test.run();
