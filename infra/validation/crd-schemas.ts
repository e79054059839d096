import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { RawIssue } from './issue.js';

const require = createRequire(import.meta.url);

/**
 * The real CustomResourceDefinitions of the operators the stack can target (infra/crds, copied
 * verbatim from each project; see its README). What we emit for these kinds is checked against
 * the CRD's own openAPIV3Schema, the schema the API server enforces, instead of a hand-written one.
 */
const CRD_DIR = fileURLToPath(new URL('../crds/', import.meta.url));

/** Which bundled file defines each group/kind. Only the file a run needs is parsed (some are 600 KB). */
const CRD_FILES: Record<string, string> = {
  'gateway.networking.k8s.io/GatewayClass': 'gateway.networking.k8s.io_gatewayclasses.yaml',
  'gateway.networking.k8s.io/Gateway': 'gateway.networking.k8s.io_gateways.yaml',
  'gateway.networking.k8s.io/HTTPRoute': 'gateway.networking.k8s.io_httproutes.yaml',
  'gateway.networking.k8s.io/ReferenceGrant': 'gateway.networking.k8s.io_referencegrants.yaml',
  'networking.istio.io/VirtualService': 'networking.istio.io_virtualservices_destinationrules.yaml',
  'networking.istio.io/DestinationRule': 'networking.istio.io_virtualservices_destinationrules.yaml',
  'postgresql.cnpg.io/Cluster': 'postgresql.cnpg.io_clusters.yaml',
  'postgresql.cnpg.io/Pooler': 'postgresql.cnpg.io_poolers.yaml',
};

interface CrdDocument {
  kind?: string;
  spec?: {
    group?: string;
    names?: { kind?: string };
    versions?: Array<{ name?: string; served?: boolean; schema?: { openAPIV3Schema?: object } }>;
  };
}

/** A model-like validator: `validate` runs on `this` and throws `{ errors }` like kubernetes-models. */
export type CrdModel = { prototype: { validate(this: unknown): void } };

export type CrdLookup = { model: CrdModel } | { issue: RawIssue } | undefined;

const parsedFiles = new Map<string, CrdDocument[]>();
const lookups = new Map<string, CrdLookup>();

function documentsOf(file: string): CrdDocument[] {
  let documents = parsedFiles.get(file);
  if (!documents) {
    const text = readFileSync(`${CRD_DIR}${file}`, 'utf8');
    documents = parseAllDocuments(text).map((document) => document.toJS() as CrdDocument);
    parsedFiles.set(file, documents);
  }
  return documents;
}

/**
 * The validator for apiVersion/kind when a bundled CRD defines the kind; an issue when the CRD
 * exists but does not serve that version (the API server would answer 404); undefined when no
 * bundled CRD defines the kind.
 */
export function crdModel(apiVersion: string, kind: string): CrdLookup {
  const [group, version] = apiVersion.split('/');
  if (!group || !version) return undefined;
  const key = `${apiVersion}/${kind}`;
  if (lookups.has(key)) return lookups.get(key);
  const file = CRD_FILES[`${group}/${kind}`];
  let lookup: CrdLookup;
  if (file) {
    const crd = documentsOf(file).find((doc) => doc?.kind === 'CustomResourceDefinition' && doc.spec?.names?.kind === kind);
    const versions = crd?.spec?.versions ?? [];
    const served = versions.find((v) => v.name === version && v.served !== false);
    const schema = served?.schema?.openAPIV3Schema as { properties?: object } | undefined;
    if (schema) {
      lookup = { model: compile(schema) };
    } else {
      const known = versions.filter((v) => v.served !== false).map((v) => `${group}/${v.name}`);
      lookup = {
        issue: {
          rule: 'schema',
          path: 'apiVersion',
          message: `the ${kind} CRD does not serve "${apiVersion}"`,
          fix: `use ${known.join(' or ')}`,
        },
      };
    }
  }
  lookups.set(key, lookup);
  return lookup;
}

/** Names and sizes of the bundled CRDs, so a cache of passed objects is dropped when they change. */
export function crdStamp(): string {
  return readdirSync(CRD_DIR)
    .sort()
    .map((name) => `${name}:${statSync(`${CRD_DIR}${name}`).size}`)
    .join(',');
}

type AjvInstance = {
  addKeyword(definition: object): void;
  compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null };
};
let ajv: AjvInstance | undefined;

function compiler(): AjvInstance {
  if (!ajv) {
    const Ajv = require('ajv') as new (options: object) => AjvInstance;
    // strict: false because CRD schemas carry OpenAPI and Kubernetes keywords ajv does not know;
    // formats such as int32 or date-time are checked by the API server, not here.
    ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    // An object that keeps unknown fields is a map to the unknown-field check (infra/validation/schema.ts):
    // enumerating its keys marks it so. CEL rules (x-kubernetes-validations) only an API server runs.
    ajv.addKeyword({
      keyword: 'x-kubernetes-preserve-unknown-fields',
      schemaType: 'boolean',
      validate: (keep: boolean, data: unknown) => {
        if (keep && data !== null && typeof data === 'object') Object.keys(data);
        return true;
      },
    });
  }
  return ajv;
}

/** The API server accepts apiVersion, kind and metadata on every object, whether the CRD's schema lists them or not. */
const OBJECT_ENVELOPE = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' } };

function compile(schema: { properties?: object }): CrdModel {
  const check = compiler().compile({ ...schema, properties: { ...OBJECT_ENVELOPE, ...schema.properties } });
  return {
    prototype: {
      validate(this: unknown) {
        if (!check(this)) throw Object.assign(new Error('CRD schema validation failed'), { errors: check.errors ?? [] });
      },
    },
  };
}
