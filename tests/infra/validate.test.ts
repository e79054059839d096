import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { formatIssue, readManifests, validateFiles, validateObjects, type ValidationIssue } from '../../infra/validate.js';

type Json = Record<string, any>;
let good: KubeObject[];
beforeAll(async () => {
  good = (await synthesize({ env: 'prod', image: 'quote-api:git-abc1234', config: false, monitoring: 'none' })).objects;
});

/** A deep copy of the valid prod objects with one thing broken. */
function broken(mutate: (objects: Json[]) => void): KubeObject[] {
  const objects = structuredClone(good) as Json[];
  mutate(objects);
  return objects as KubeObject[];
}
const find = (objects: Json[], kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
const api = (objects: Json[]) => find(objects, 'Deployment', 'quote-api');
const errorsOf = (objects: KubeObject[]) => validateObjects(objects).filter((i) => i.severity === 'error');

function expectOnly(issues: ValidationIssue[], expected: Partial<ValidationIssue>): ValidationIssue {
  expect(issues.map(formatIssue)).toHaveLength(1);
  expect(issues[0]).toMatchObject(expected);
  return issues[0]!;
}

describe('the synthesized stack', () => {
  it('has no issues', () => {
    expect(validateObjects(good).map(formatIssue)).toEqual([]);
  });
});

describe('each rule fires on a deliberately broken object', () => {
  it('schema: wrong type, bad enum, missing required field', () => {
    const issues = errorsOf(broken((o) => {
      api(o).spec.revisionHistoryLimit = 'five';
      find(o, 'Service', 'quote-api').spec.type = 'Balancer';
      delete find(o, 'HorizontalPodAutoscaler', 'quote-api').spec.maxReplicas;
    }));
    expect(issues.map((i) => [i.rule, i.kind, i.path])).toEqual(expect.arrayContaining([
      ['schema', 'Deployment', 'spec.revisionHistoryLimit'],
      ['schema', 'HorizontalPodAutoscaler', 'spec.maxReplicas'],
    ]));
    const hpa = issues.find((i) => i.path === 'spec.maxReplicas')!;
    expect(hpa.fix).toBe('add the required field maxReplicas');
    expect(issues.find((i) => i.path === 'spec.revisionHistoryLimit')!.fix).toBe('make it integer');
  });

  it('schema: an unknown apiVersion/kind of a built-in group is an error, a CRD without schema a warning', () => {
    const typo = validateObjects([{ apiVersion: 'apps/v1', kind: 'Deploymnet', metadata: { name: 'x', namespace: 'n' } }]);
    expect(typo.find((i) => i.rule === 'schema')).toMatchObject({ severity: 'error', path: 'kind' });
    const crd = validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'x', namespace: 'n' } }]);
    expect(crd).toEqual([expect.objectContaining({ severity: 'warning', rule: 'schema' })]);
  });

  it('unknown-field: misspelled and invented fields at any depth, not map keys', () => {
    const issues = errorsOf(broken((o) => {
      const container = api(o).spec.template.spec.containers[0];
      container.imagePullPolicyy = 'Always';
      container.resources.limit = { cpu: '1' };
      api(o).spec.template.metadata.annotations['free-form/keys'] = 'are fine';
      find(o, 'ConfigMap', 'quote-api-config').data.ANY_KEY = 'fine';
      find(o, 'Ingress', 'quote-api').spec.rules[0].http.paths[0].backend.service.prot = { name: 'http' };
    }));
    expect(issues.filter((i) => i.rule === 'unknown-field').map((i) => `${i.kind} ${i.path}`).sort()).toEqual([
      'Deployment spec.template.spec.containers[0].imagePullPolicyy',
      'Deployment spec.template.spec.containers[0].resources.limit',
      'Ingress spec.rules[0].http.paths[0].backend.service.prot',
    ]);
    expect(issues.find((i) => i.path.endsWith('imagePullPolicyy'))!.fix).toMatch(/known fields here: .*imagePullPolicy/);
  });

  it('service-selector: a Service that selects no pods', () => {
    const issue = expectOnly(errorsOf(broken((o) => {
      find(o, 'Service', 'quote-api').spec.selector['app.kubernetes.io/name'] = 'quote-apii';
    })), { rule: 'service-selector', kind: 'Service', name: 'quote-api', namespace: 'quotes-prod', path: 'spec.selector' });
    expect(issue.fix).toMatch(/pod template labels/);
  });

  it('service-target-port: a named target port the container does not have', () => {
    expectOnly(errorsOf(broken((o) => {
      find(o, 'Service', 'postgres').spec.ports[0].targetPort = 'pg';
    })), { rule: 'service-target-port', name: 'postgres', path: 'spec.ports[0].targetPort' });
  });

  it('ingress-backend: missing Service and missing port', () => {
    expectOnly(errorsOf(broken((o) => {
      find(o, 'Ingress', 'quote-api').spec.rules[0].http.paths[0].backend.service.name = 'quote-ui';
    })), { rule: 'ingress-backend', kind: 'Ingress', path: 'spec.rules[0].http.paths[0].backend.service.name' });
    const port = expectOnly(errorsOf(broken((o) => {
      find(o, 'Ingress', 'quote-api').spec.rules[0].http.paths[0].backend.service.port = { name: 'web' };
    })), { rule: 'ingress-backend', path: 'spec.rules[0].http.paths[0].backend.service.port' });
    expect(port.fix).toBe('use one of its ports: http');
  });

  it('hpa-target: missing target, and a target that pins replicas', () => {
    expectOnly(errorsOf(broken((o) => {
      find(o, 'HorizontalPodAutoscaler', 'quote-api').spec.scaleTargetRef.name = 'quote-worker';
    })), { rule: 'hpa-target', path: 'spec.scaleTargetRef' });
    const pinned = expectOnly(errorsOf(broken((o) => {
      api(o).spec.replicas = 3;
    })), { rule: 'hpa-target', kind: 'HorizontalPodAutoscaler' });
    expect(pinned.fix).toMatch(/remove spec.replicas from Deployment quote-api/);
  });

  it('pdb-selector: a PDB protecting nothing', () => {
    expectOnly(errorsOf(broken((o) => {
      find(o, 'PodDisruptionBudget', 'quote-api').spec.selector = { matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['nothing'] }] };
    })), { rule: 'pdb-selector', kind: 'PodDisruptionBudget', path: 'spec.selector' });
  });

  it('container-resources: missing requests and limits', () => {
    const issues = errorsOf(broken((o) => {
      delete api(o).spec.template.spec.containers[0].resources.limits.memory;
      delete find(o, 'StatefulSet', 'redis').spec.template.spec.containers[0].resources.requests;
    }));
    expect(issues.map((i) => `${i.rule} ${i.name} ${i.path} ${i.message}`)).toEqual([
      'container-resources redis spec.template.spec.containers[0].resources.requests container "redis" has no requests for cpu and memory',
      'container-resources quote-api spec.template.spec.containers[0].resources.limits container "quote-api" has no limits for memory',
    ]);
  });

  it('container-probes: a long-running container without probes; Jobs are exempt', () => {
    const issues = errorsOf(broken((o) => {
      delete api(o).spec.template.spec.containers[0].readinessProbe;
      delete find(o, 'StatefulSet', 'postgres').spec.template.spec.containers[0].livenessProbe;
    }));
    expect(issues.map((i) => `${i.rule} ${i.name} ${i.path}`)).toEqual([
      'container-probes postgres spec.template.spec.containers[0].livenessProbe',
      'container-probes quote-api spec.template.spec.containers[0].readinessProbe',
    ]);
    expect(good.filter((o) => o.kind === 'Job').every((job) => !(job as Json).spec.template.spec.containers[0].readinessProbe)).toBe(true);
  });

  it('image-pinned: latest and untagged images', () => {
    const issues = errorsOf(broken((o) => {
      api(o).spec.template.spec.containers[0].image = 'quote-api:latest';
      find(o, 'StatefulSet', 'redis').spec.template.spec.containers[0].image = 'docker.io/library/redis';
    }));
    expect(issues.map((i) => `${i.rule} ${i.name} ${i.message}`)).toEqual([
      'image-pinned redis container "redis" image "docker.io/library/redis" has no tag (means latest)',
      'image-pinned quote-api container "quote-api" image "quote-api:latest" uses the latest tag',
    ]);
  });

  it('secret-plaintext: a Secret with data', () => {
    const issue = expectOnly(errorsOf([...good, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'postgres-credentials', namespace: 'quotes-prod' }, stringData: { password: 'hunter2' } } as KubeObject]), {
      rule: 'secret-plaintext', kind: 'Secret', name: 'postgres-credentials', path: 'stringData',
    });
    expect(issue.message).not.toContain('hunter2');
  });

  it('network-policy-coverage: pods no NetworkPolicy selects', () => {
    const issues = errorsOf(broken((o) => {
      o.splice(o.indexOf(find(o, 'NetworkPolicy', 'default-deny')), 1);
      o.splice(o.indexOf(find(o, 'NetworkPolicy', 'allow-dns')), 1);
      o.splice(o.indexOf(find(o, 'NetworkPolicy', 'allow-monitoring-scrape')), 1);
      o.splice(o.indexOf(find(o, 'NetworkPolicy', 'redis-ingress')), 1);
    }));
    expectOnly(issues, { rule: 'network-policy-coverage', kind: 'StatefulSet', name: 'redis', path: 'spec.template.metadata.labels' });
  });

  it('explicit-namespace, metadata-name and duplicate-object', () => {
    const issues = errorsOf(broken((o) => {
      delete find(o, 'ConfigMap', 'quote-api-config').metadata.namespace;
      o.push(structuredClone(find(o, 'Service', 'redis')));
      o.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'quotes-prod' }, data: {} });
    }));
    expect(issues.map((i) => i.rule).sort()).toEqual(['duplicate-object', 'explicit-namespace', 'metadata-name']);
  });
});

describe('files and messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qctl-validate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('issues name the file, the object, the field path and the fix', () => {
    const files = [{ name: 'dist/prod/40-quote-api.yaml', objects: broken((o) => { api(o).spec.template.spec.containers[0].image = 'quote-api'; }) }];
    const [issue] = validateFiles(files).filter((i) => i.severity === 'error');
    expect(formatIssue(issue!)).toBe(
      'dist/prod/40-quote-api.yaml: Deployment quotes-prod/quote-api: spec.template.spec.containers[0].image: container "quote-api" image "quote-api" has no tag (means latest) [image-pinned] — fix: pin the image to a tag other than latest or to a digest, e.g. quote-api:git-3f2a1bc',
    );
  });

  it('readManifests reads multi-document YAML recursively and reports syntax errors per document', () => {
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: n\n');
    writeFileSync(join(dir, 'nested', 'b.yml'), 'kind: [unclosed\n');
    writeFileSync(join(dir, 'ignored.txt'), 'not yaml');
    writeFileSync(join(dir, 'list.yaml'), 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: n}}\n');
    const { files, issues } = readManifests(dir);
    expect(files.map((f) => [f.name, f.objects.length])).toEqual([[join(dir, 'a.yaml'), 2], [join(dir, 'list.yaml'), 1], [join(dir, 'nested', 'b.yml'), 0]]);
    expect(files[1]!.objects[0]!.kind).toBe('ConfigMap');
    expect(issues).toEqual([expect.objectContaining({ rule: 'yaml', file: join(dir, 'nested', 'b.yml') })]);
  });
});
