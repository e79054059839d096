import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { formatIssue, readManifests, validateFiles, validateObjects, type ValidationIssue } from '../../infra/validate.js';
import { dns1035Label, dns1123Subdomain, labelValue, parseQuantity, portName, qualifiedName } from '../../infra/validation/syntax.js';

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
    const issues = errorsOf(
      broken((o) => {
        api(o).spec.revisionHistoryLimit = 'five';
        find(o, 'Service', 'quote-api').spec.type = 'Balancer';
        delete find(o, 'HorizontalPodAutoscaler', 'quote-api').spec.maxReplicas;
      }),
    );
    expect(issues.map((i) => [i.rule, i.kind, i.path])).toEqual(
      expect.arrayContaining([
        ['schema', 'Deployment', 'spec.revisionHistoryLimit'],
        ['schema', 'HorizontalPodAutoscaler', 'spec.maxReplicas'],
      ]),
    );
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
    const issues = errorsOf(
      broken((o) => {
        const container = api(o).spec.template.spec.containers[0];
        container.imagePullPolicyy = 'Always';
        container.resources.limit = { cpu: '1' };
        api(o).spec.template.metadata.annotations['free-form/keys'] = 'are fine';
        find(o, 'ConfigMap', 'quote-api-config').data.ANY_KEY = 'fine';
        find(o, 'Ingress', 'quote-api').spec.rules[0].http.paths[0].backend.service.prot = { name: 'http' };
      }),
    );
    expect(
      issues
        .filter((i) => i.rule === 'unknown-field')
        .map((i) => `${i.kind} ${i.path}`)
        .sort(),
    ).toEqual([
      'Deployment spec.template.spec.containers[0].imagePullPolicyy',
      'Deployment spec.template.spec.containers[0].resources.limit',
      'Ingress spec.rules[0].http.paths[0].backend.service.prot',
    ]);
    expect(issues.find((i) => i.path.endsWith('imagePullPolicyy'))!.fix).toMatch(/known fields here: .*imagePullPolicy/);
  });

  it('service-selector: a Service that selects no pods', () => {
    const issue = expectOnly(
      errorsOf(
        broken((o) => {
          find(o, 'Service', 'quote-api').spec.selector['app.kubernetes.io/name'] = 'quote-apii';
        }),
      ),
      { rule: 'service-selector', kind: 'Service', name: 'quote-api', namespace: 'quotes-prod', path: 'spec.selector' },
    );
    expect(issue.fix).toMatch(/pod template labels/);
  });

  it('service-target-port: a named target port the container does not have', () => {
    expectOnly(
      errorsOf(
        broken((o) => {
          find(o, 'Service', 'postgres').spec.ports[0].targetPort = 'pg';
        }),
      ),
      { rule: 'service-target-port', name: 'postgres', path: 'spec.ports[0].targetPort' },
    );
  });

  it('ingress-backend: missing Service and missing port', () => {
    expectOnly(
      errorsOf(
        broken((o) => {
          find(o, 'Ingress', 'quote-api').spec.rules[0].http.paths[0].backend.service.name = 'quote-ui';
        }),
      ),
      { rule: 'ingress-backend', kind: 'Ingress', path: 'spec.rules[0].http.paths[0].backend.service.name' },
    );
    const port = expectOnly(
      errorsOf(
        broken((o) => {
          find(o, 'Ingress', 'quote-api').spec.rules[0].http.paths[0].backend.service.port = { name: 'web' };
        }),
      ),
      { rule: 'ingress-backend', path: 'spec.rules[0].http.paths[0].backend.service.port' },
    );
    expect(port.fix).toBe('use one of its ports: http');
  });

  it('route-backend: an HTTPRoute to a missing Service or port, an Istio route to an undefined subset; elsewhere is not checked', async () => {
    const routed = (
      await synthesize({
        env: 'prod',
        image: 'quote-api:git-abc1234',
        config: false,
        monitoring: 'none',
        set: ['ingress.mode=gateway', 'traffic.mesh=istio', 'canary.tag=git-def5678'],
      })
    ).objects;
    expect(validateObjects(routed).map(formatIssue)).toEqual([]);
    const breakRouted = (mutate: (objects: Json[]) => void) => {
      const objects = structuredClone(routed) as Json[];
      mutate(objects);
      return errorsOf(objects as KubeObject[]);
    };
    expectOnly(
      breakRouted((o) => {
        find(o, 'HTTPRoute', 'quote-api').spec.rules[0].backendRefs[1].name = 'quote-api-canry';
      }),
      { rule: 'route-backend', kind: 'HTTPRoute', path: 'spec.rules[0].backendRefs[1].name' },
    );
    const port = expectOnly(
      breakRouted((o) => {
        find(o, 'HTTPRoute', 'quote-api').spec.rules[0].backendRefs[0].port = 8080;
      }),
      { rule: 'route-backend', path: 'spec.rules[0].backendRefs[0].port' },
    );
    expect(port.fix).toBe('use one of its ports: 80');
    expectOnly(
      breakRouted((o) => {
        find(o, 'DestinationRule', 'quote-api').spec.subsets.pop();
      }),
      { rule: 'route-backend', kind: 'VirtualService', path: 'spec.http[0].route[1].destination.subset' },
    );
    // A backend in another namespace may well exist in the cluster.
    expect(
      breakRouted((o) => {
        find(o, 'HTTPRoute', 'quote-api').spec.rules[0].backendRefs[1].namespace = 'elsewhere';
      }).filter((i) => i.rule === 'route-backend'),
    ).toEqual([]);
  });

  it('hpa-target: missing target, and a target that pins replicas', () => {
    expectOnly(
      errorsOf(
        broken((o) => {
          find(o, 'HorizontalPodAutoscaler', 'quote-api').spec.scaleTargetRef.name = 'quote-worker';
        }),
      ),
      { rule: 'hpa-target', path: 'spec.scaleTargetRef' },
    );
    const pinned = expectOnly(
      errorsOf(
        broken((o) => {
          api(o).spec.replicas = 3;
        }),
      ),
      { rule: 'hpa-target', kind: 'HorizontalPodAutoscaler' },
    );
    expect(pinned.fix).toMatch(/remove spec.replicas from Deployment quote-api/);
  });

  it('pdb-selector: a PDB protecting nothing', () => {
    expectOnly(
      errorsOf(
        broken((o) => {
          find(o, 'PodDisruptionBudget', 'quote-api').spec.selector = {
            matchExpressions: [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['nothing'] }],
          };
        }),
      ),
      { rule: 'pdb-selector', kind: 'PodDisruptionBudget', path: 'spec.selector' },
    );
  });

  it('container-resources: missing requests and limits', () => {
    const issues = errorsOf(
      broken((o) => {
        delete api(o).spec.template.spec.containers[0].resources.limits.memory;
        delete find(o, 'StatefulSet', 'redis').spec.template.spec.containers[0].resources.requests;
      }),
    );
    expect(issues.map((i) => `${i.rule} ${i.name} ${i.path} ${i.message}`)).toEqual([
      'container-resources redis spec.template.spec.containers[0].resources.requests container "redis" has no requests for cpu and memory',
      'container-resources quote-api spec.template.spec.containers[0].resources.limits container "quote-api" has no limits for memory',
    ]);
  });

  it('container-probes: a long-running container without probes; Jobs are exempt', () => {
    const issues = errorsOf(
      broken((o) => {
        delete api(o).spec.template.spec.containers[0].readinessProbe;
        delete find(o, 'StatefulSet', 'postgres').spec.template.spec.containers[0].livenessProbe;
      }),
    );
    expect(issues.map((i) => `${i.rule} ${i.name} ${i.path}`)).toEqual([
      'container-probes postgres spec.template.spec.containers[0].livenessProbe',
      'container-probes quote-api spec.template.spec.containers[0].readinessProbe',
    ]);
    expect(good.filter((o) => o.kind === 'Job').every((job) => !(job as Json).spec.template.spec.containers[0].readinessProbe)).toBe(true);
  });

  it('image-pinned: latest and untagged images', () => {
    const issues = errorsOf(
      broken((o) => {
        api(o).spec.template.spec.containers[0].image = 'quote-api:latest';
        find(o, 'StatefulSet', 'redis').spec.template.spec.containers[0].image = 'docker.io/library/redis';
      }),
    );
    expect(issues.map((i) => `${i.rule} ${i.name} ${i.message}`)).toEqual([
      'image-pinned redis container "redis" image "docker.io/library/redis" has no tag (means latest)',
      'image-pinned quote-api container "quote-api" image "quote-api:latest" uses the latest tag',
    ]);
  });

  it('secret-plaintext: a Secret with data', () => {
    const issue = expectOnly(
      errorsOf([
        ...good,
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'postgres-credentials', namespace: 'quotes-prod' },
          stringData: { password: 'hunter2' },
        } as KubeObject,
      ]),
      {
        rule: 'secret-plaintext',
        kind: 'Secret',
        name: 'postgres-credentials',
        path: 'stringData',
      },
    );
    expect(issue.message).not.toContain('hunter2');
  });

  it('network-policy-coverage: pods no NetworkPolicy selects', () => {
    const issues = errorsOf(
      broken((o) => {
        o.splice(o.indexOf(find(o, 'NetworkPolicy', 'default-deny')), 1);
        o.splice(o.indexOf(find(o, 'NetworkPolicy', 'allow-dns')), 1);
        o.splice(o.indexOf(find(o, 'NetworkPolicy', 'allow-monitoring-scrape')), 1);
        o.splice(o.indexOf(find(o, 'NetworkPolicy', 'redis-ingress')), 1);
      }),
    );
    expectOnly(issues, { rule: 'network-policy-coverage', kind: 'StatefulSet', name: 'redis', path: 'spec.template.metadata.labels' });
  });

  it('explicit-namespace, metadata-name and duplicate-object', () => {
    const issues = errorsOf(
      broken((o) => {
        delete find(o, 'ConfigMap', 'quote-api-config').metadata.namespace;
        o.push(structuredClone(find(o, 'Service', 'redis')));
        o.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { namespace: 'quotes-prod' }, data: {} });
      }),
    );
    expect(issues.map((i) => i.rule).sort()).toEqual(['duplicate-object', 'explicit-namespace', 'metadata-name']);
  });
});

describe('value rules the API server enforces and the schemas do not carry', () => {
  const container = (o: Json[]) => api(o).spec.template.spec.containers[0];
  const rulesOf = (objects: KubeObject[]) => errorsOf(objects).map((i) => `${i.rule} ${i.kind} ${i.path}`);

  it('requests-within-limits: memory and cpu, containers and init containers; equal is fine', () => {
    const issue = expectOnly(
      errorsOf(
        broken((o) => {
          container(o).resources.requests.memory = '1Gi';
          container(o).resources.limits.memory = '256Mi';
        }),
      ),
      { rule: 'requests-within-limits', kind: 'Deployment', path: 'spec.template.spec.containers[0].resources.requests.memory' },
    );
    expect(issue.message).toBe('container "quote-api" requests memory 1Gi, above its limit 256Mi (the API server rejects this)');
    expect(issue.fix).toBe('lower resources.requests.memory to at most 256Mi, or raise resources.limits.memory');
    expect(
      rulesOf(
        broken((o) => {
          const init = structuredClone(container(o));
          init.name = 'wait';
          init.resources = { requests: { cpu: '1.5', memory: '64Mi' }, limits: { cpu: '500m', memory: '64Mi' } };
          api(o).spec.template.spec.initContainers = [init];
        }),
      ),
    ).toEqual(['requests-within-limits Deployment spec.template.spec.initContainers[0].resources.requests.cpu']);
    expect(
      errorsOf(
        broken((o) => {
          container(o).resources.requests = { cpu: '0.5', memory: '268435456' };
          container(o).resources.limits = { cpu: '500m', memory: '256Mi' };
        }),
      ),
    ).toEqual([]);
  });

  it('resource-values: a negative quantity; schema: a malformed one says "quantity"', () => {
    expect(
      rulesOf(
        broken((o) => {
          container(o).resources.requests.cpu = '-100m';
        }),
      ),
    ).toEqual(['resource-values Deployment spec.template.spec.containers[0].resources.requests.cpu']);
    const [bad] = errorsOf(
      broken((o) => {
        container(o).resources.limits.memory = '256MB';
      }),
    );
    expect(bad).toMatchObject({ rule: 'schema', message: 'must be a valid quantity' });
  });

  it('port-number: container, Service, probe and NetworkPolicy ports outside 1-65535', () => {
    expect(
      rulesOf(
        broken((o) => {
          container(o).ports[0].containerPort = 70000;
          find(o, 'Service', 'quote-api').spec.ports[0].port = 0;
          container(o).livenessProbe.httpGet.port = 65536;
          find(o, 'NetworkPolicy', 'quote-api-egress').spec.egress.at(-1).ports[0] = { protocol: 'TCP', port: 443, endPort: 80 };
        }),
      ).sort(),
    ).toEqual([
      'port-number Deployment spec.template.spec.containers[0].livenessProbe.httpGet.port',
      'port-number Deployment spec.template.spec.containers[0].ports[0].containerPort',
      'port-number NetworkPolicy spec.egress[2].ports[0].endPort',
      'port-number Service spec.ports[0].port',
    ]);
  });

  it('port-name: invalid and duplicate container port names, unnamed ports of a multi-port Service', () => {
    expect(
      rulesOf(
        broken((o) => {
          container(o).ports.push({ name: 'http', containerPort: 9090 }, { name: 'Metrics_Port', containerPort: 9091 });
          find(o, 'Service', 'postgres').spec.ports.push({ port: 5433, targetPort: 5432 });
        }),
      ).sort(),
    ).toEqual([
      'port-name Deployment spec.template.spec.containers[0].ports[1].name',
      'port-name Deployment spec.template.spec.containers[0].ports[2].name',
      'port-name Service spec.ports[1].name',
    ]);
  });

  it('probe-values: periods and thresholds below 1, liveness successThreshold above 1, two handlers', () => {
    expect(
      rulesOf(
        broken((o) => {
          container(o).readinessProbe.periodSeconds = 0;
          container(o).livenessProbe.failureThreshold = 0;
          container(o).livenessProbe.successThreshold = 2;
          container(o).startupProbe.tcpSocket = { port: 8080 };
        }),
      ),
    ).toEqual([
      'probe-values Deployment spec.template.spec.containers[0].readinessProbe.periodSeconds',
      'probe-values Deployment spec.template.spec.containers[0].livenessProbe.failureThreshold',
      'probe-values Deployment spec.template.spec.containers[0].livenessProbe.successThreshold',
      'probe-values Deployment spec.template.spec.containers[0].startupProbe',
    ]);
  });

  it('container-name and volume-mount: duplicate container names, mounts of undefined volumes (volumeClaimTemplates count)', () => {
    expect(
      rulesOf(
        broken((o) => {
          api(o).spec.template.spec.initContainers = [
            { ...structuredClone(container(o)), startupProbe: undefined, livenessProbe: undefined, readinessProbe: undefined },
          ];
          container(o).volumeMounts.push({ name: 'cache', mountPath: '/cache' });
        }),
      ),
    ).toEqual([
      'container-name Deployment spec.template.spec.containers[0].name',
      'volume-mount Deployment spec.template.spec.containers[0].volumeMounts[1].name',
    ]);
    const postgres = find(good as Json[], 'StatefulSet', 'postgres');
    expect(postgres.spec.template.spec.volumes.map((v: Json) => v.name)).not.toContain(postgres.spec.volumeClaimTemplates[0].metadata.name);
  });

  it('workload-selector: a Deployment whose selector misses its template labels', () => {
    expectOnly(
      errorsOf(
        broken((o) => {
          api(o).spec.selector.matchLabels['app.kubernetes.io/instance'] = 'quotes-staging';
        }),
      ),
      { rule: 'workload-selector', kind: 'Deployment', path: 'spec.selector' },
    );
  });

  it('hpa-replicas: minReplicas 0, maxReplicas below minReplicas', () => {
    expect(
      rulesOf(
        broken((o) => {
          find(o, 'HorizontalPodAutoscaler', 'quote-api').spec.minReplicas = 0;
        }),
      ),
    ).toEqual(['hpa-replicas HorizontalPodAutoscaler spec.minReplicas']);
    expect(
      rulesOf(
        broken((o) => {
          find(o, 'HorizontalPodAutoscaler', 'quote-api').spec.minReplicas = 11;
        }),
      ),
    ).toEqual(['hpa-replicas HorizontalPodAutoscaler spec.maxReplicas']);
  });

  it('pdb-values: both fields set, maxUnavailable 0, minAvailable of every replica (the HPA floor)', () => {
    const pdb = (o: Json[]) => find(o, 'PodDisruptionBudget', 'quote-api');
    expect(
      rulesOf(
        broken((o) => {
          pdb(o).spec.minAvailable = 1;
        }),
      ),
    ).toEqual(['pdb-values PodDisruptionBudget spec']);
    expect(
      rulesOf(
        broken((o) => {
          pdb(o).spec.maxUnavailable = 0;
        }),
      ),
    ).toEqual(['pdb-values PodDisruptionBudget spec.maxUnavailable']);
    const floor = expectOnly(
      errorsOf(
        broken((o) => {
          delete pdb(o).spec.maxUnavailable;
          pdb(o).spec.minAvailable = 3;
        }),
      ),
      { rule: 'pdb-values', path: 'spec.minAvailable' },
    );
    expect(floor.message).toBe(
      'minAvailable 3 leaves no pod of the 3 replica(s) of Deployment quote-api evictable, so draining its nodes waits forever',
    );
    expect(
      errorsOf(
        broken((o) => {
          delete pdb(o).spec.maxUnavailable;
          pdb(o).spec.minAvailable = 2;
        }),
      ),
    ).toEqual([]);
  });

  it('object-name and label-syntax: names, namespaces, label keys and values, annotation keys', () => {
    expect(
      rulesOf(
        broken((o) => {
          find(o, 'ConfigMap', 'quote-api-config').metadata.name = 'Quote_Config';
          find(o, 'Service', 'redis').metadata.name = '1redis';
          api(o).metadata.labels['version'] = 'v1.0 beta';
          api(o).spec.template.metadata.labels['x'.repeat(64)] = 'a';
          api(o).spec.template.metadata.annotations['bad key'] = 'x';
        }),
      ),
    ).toEqual(
      expect.arrayContaining([
        'object-name ConfigMap metadata.name',
        'object-name Service metadata.name',
        'label-syntax Deployment metadata.labels["version"]',
        'label-syntax Deployment spec.template.metadata.labels',
        'label-syntax Deployment spec.template.metadata.annotations',
      ]),
    );
  });

  it('rollout-strategy and ingress-values: a rollout that cannot progress, a bad host and path', () => {
    expect(
      rulesOf(
        broken((o) => {
          api(o).spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } };
          const rule = find(o, 'Ingress', 'quote-api').spec.rules[0];
          rule.host = '10.0.0.1';
          rule.http.paths[0].path = 'quotes';
        }),
      ),
    ).toEqual([
      'rollout-strategy Deployment spec.strategy.rollingUpdate',
      'ingress-values Ingress spec.rules[0].host',
      'ingress-values Ingress spec.rules[0].http.paths[0].path',
    ]);
  });
});

describe('value syntaxes', () => {
  it('parses quantities like the API server', () => {
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('512Mi')).toBe(512 * 2 ** 20);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('2e3')).toBe(2000);
    expect(parseQuantity(4)).toBe(4);
    for (const bad of ['256MB', '1.2.3', 'Mi', '', ' 1', '1 Gi']) expect(parseQuantity(bad), bad).toBeNull();
  });

  it('checks names, label keys and values, port names', () => {
    expect(dns1123Subdomain('quote-api.v2')).toBeNull();
    expect(dns1123Subdomain('-bad')).not.toBeNull();
    expect(dns1035Label('9lives')).not.toBeNull();
    expect(qualifiedName('app.kubernetes.io/name')).toBeNull();
    expect(qualifiedName('a/b/c')).not.toBeNull();
    expect(qualifiedName('Example.com/x')).toMatch(/prefix/);
    expect(labelValue('')).toBeNull();
    expect(labelValue('x'.repeat(64))).toMatch(/at most 63/);
    expect(portName('http')).toBeNull();
    expect(portName('8080')).toMatch(/letter/);
    expect(portName('a--b')).toMatch(/--/);
  });
});

describe('files and messages', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qctl-validate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('issues name the file, the object, the field path and the fix', () => {
    const files = [
      {
        name: 'dist/prod/40-quote-api.yaml',
        objects: broken((o) => {
          api(o).spec.template.spec.containers[0].image = 'quote-api';
        }),
      },
    ];
    const [issue] = validateFiles(files).filter((i) => i.severity === 'error');
    expect(formatIssue(issue!)).toBe(
      'dist/prod/40-quote-api.yaml: Deployment quotes-prod/quote-api: spec.template.spec.containers[0].image: container "quote-api" image "quote-api" has no tag (means latest) [image-pinned] — fix: pin the image to a tag other than latest or to a digest, e.g. quote-api:git-3f2a1bc',
    );
  });

  it('readManifests reads multi-document YAML recursively and reports syntax errors per document', () => {
    mkdirSync(join(dir, 'nested'));
    writeFileSync(
      join(dir, 'a.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: n\n',
    );
    writeFileSync(join(dir, 'nested', 'b.yml'), 'kind: [unclosed\n');
    writeFileSync(join(dir, 'ignored.txt'), 'not yaml');
    writeFileSync(
      join(dir, 'list.yaml'),
      'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: n}}\n',
    );
    const { files, issues } = readManifests(dir);
    expect(files.map((f) => [f.name, f.objects.length])).toEqual([
      [join(dir, 'a.yaml'), 2],
      [join(dir, 'list.yaml'), 1],
      [join(dir, 'nested', 'b.yml'), 0],
    ]);
    expect(files[1]!.objects[0]!.kind).toBe('ConfigMap');
    expect(issues).toEqual([expect.objectContaining({ rule: 'yaml', file: join(dir, 'nested', 'b.yml') })]);
  });
});
