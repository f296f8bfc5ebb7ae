// Loads the CRDs in crds/ (the single source of truth for resource shape) and turns each served
// version's openAPIV3Schema into a JSON Schema that ajv enforces the way the apiserver does:
// unknown fields rejected (strict field validation), int-or-string typed, k8s extension keywords kept
// as annotations for the CEL-twin walker, ObjectMeta checked like the apiserver checks it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { packageRoot } from '../package-root.js';

/** The subset of an OpenAPI v3 schema node the CRDs use. */
export interface SchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  default?: unknown;
  'x-kubernetes-validations'?: Array<{ rule: string; message: string; fieldPath?: string; reason?: string }>;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [keyword: string]: unknown;
}

export interface ResourceKind {
  apiVersion: string;   // group/version
  kind: string;
  plural: string;
  crdName: string;
  /** The CRD's schema as written (what the apiserver gets). */
  crdSchema: SchemaNode;
  /** The same schema adapted for ajv. */
  schema: SchemaNode;
}

export const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';

/** ObjectMeta as the apiserver validates it for a namespaced custom resource. */
const OBJECT_META: SchemaNode = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 253, pattern: DNS_SUBDOMAIN },
    namespace: { type: 'string', minLength: 1, maxLength: 63, pattern: DNS_LABEL },
    labels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
    // Fields the server sets; accepted so that `kubectl get -o yaml` output validates too.
    uid: { type: 'string' }, resourceVersion: { type: 'string' }, generation: { type: 'integer' },
    creationTimestamp: { type: ['string', 'null'] }, deletionTimestamp: { type: 'string' },
    deletionGracePeriodSeconds: { type: 'integer' }, generateName: { type: 'string' },
    managedFields: { type: 'array' }, ownerReferences: { type: 'array' }, selfLink: { type: 'string' },
  },
};

/** Adapt one CRD schema node (recursively) for ajv. Pure; returns a new tree. */
export function toAjvSchema(node: SchemaNode, path: string[] = []): SchemaNode {
  const out: SchemaNode = { ...node };
  if (node['x-kubernetes-int-or-string']) out.type = ['integer', 'string'];
  if (node.properties) {
    out.properties = {};
    for (const [key, child] of Object.entries(node.properties)) {
      out.properties[key] = path.length === 0 && key === 'metadata' ? OBJECT_META : toAjvSchema(child, [...path, key]);
    }
  }
  if (node.items) out.items = toAjvSchema(node.items, [...path, '[]']);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    out.additionalProperties = toAjvSchema(node.additionalProperties, [...path, '*']);
  }
  // Strict field validation: an object lists every field it allows, unless it says otherwise.
  if (node.type === 'object' && node.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

interface CrdDocument {
  kind?: string;
  metadata?: { name?: string };
  spec?: {
    group: string;
    names: { kind: string; plural: string };
    versions: Array<{ name: string; served: boolean; schema?: { openAPIV3Schema?: SchemaNode } }>;
  };
}

/** Every served kind/version of the CRDs in `dir` (default: the package's crds/). */
export function loadResourceKinds(dir = join(packageRoot, 'crds')): ResourceKind[] {
  const kinds: ResourceKind[] = [];
  for (const file of readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()) {
    for (const doc of YAML.parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const crd = doc.toJS() as CrdDocument | null;
      if (!crd || crd.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
      for (const version of crd.spec.versions.filter((v) => v.served)) {
        const crdSchema = version.schema?.openAPIV3Schema;
        if (!crdSchema) throw new Error(`${file}: ${crd.metadata?.name} ${version.name} has no openAPIV3Schema`);
        kinds.push({
          apiVersion: `${crd.spec.group}/${version.name}`,
          kind: crd.spec.names.kind,
          plural: crd.spec.names.plural,
          crdName: crd.metadata?.name ?? crd.spec.names.plural,
          crdSchema,
          schema: toAjvSchema(crdSchema),
        });
      }
    }
  }
  return kinds;
}
