import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLUSTER_NAMES } from '../../infra/clusters.js';
import { ENVIRONMENT_NAMES } from '../../infra/environments.js';
import { renderFiles, synthesize, writeSynthOutput, type KubeObject } from '../../infra/main.js';
import { formatIssue, validateFiles } from '../../infra/validate.js';

type Json = Record<string, any>;
const IMAGE = '127.0.0.1:32000/quote-api:git-3f2a1bc';
const tmp = mkdtempSync(join(tmpdir(), 'qctl-synth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const byKind = (objects: KubeObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name)) as Json[];
const appObjects = (objects: KubeObject[], namespace: string) =>
  objects.filter((o) => o.metadata.namespace === namespace || o.metadata.name === namespace);
function podTemplates(objects: KubeObject[]): Array<{ object: Json; spec: Json; labels: Json }> {
  return (objects as Json[])
    .filter((o) => ['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(o.kind))
    .map((o) => ({ object: o, spec: o.spec.template.spec, labels: o.spec.template.metadata.labels }));
}

describe('snapshots', () => {
  it.each(ENVIRONMENT_NAMES)('%s matches its snapshot (app stack, monitoring none)', async (env) => {
    const result = await synthesize({ env, image: IMAGE, config: false, monitoring: 'none' });
    const text = renderFiles(result)
      .map((file) => `# ${file.name}\n${file.content}`)
      .join('\n');
    await expect(text).toMatchFileSnapshot(`__snapshots__/${env}.yaml`);
  });
});

describe('every environment x cluster flavour x monitoring mode validates', () => {
  const cases = ENVIRONMENT_NAMES.flatMap((env) => CLUSTER_NAMES.map((cluster) => [env, cluster] as const));
  it.each(cases)('%s on %s', async (env, cluster) => {
    for (const monitoring of ['self', 'operator', 'none']) {
      const result = await synthesize({ env, cluster, monitoring, image: IMAGE, config: false });
      const issues = validateFiles(result.files);
      expect(issues.map(formatIssue), `${env}/${cluster}/${monitoring}`).toEqual([]);
      expect(result.files[0]!.name).toBe('00-namespace.yaml');
    }
  });
});

describe('objects', () => {
  it('use stable names, explicit namespaces and the standard labels', async () => {
    const result = await synthesize({ env: 'prod', image: IMAGE, config: false, monitoring: 'none' });
    const names = result.objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'Namespace/quotes-prod',
        'Deployment/quote-api',
        'Service/quote-api',
        'Ingress/quote-api',
        'HorizontalPodAutoscaler/quote-api',
        'PodDisruptionBudget/quote-api',
        'StatefulSet/postgres',
        'Service/postgres',
        'StatefulSet/redis',
        'Service/redis',
        'ConfigMap/quote-api-config',
        'Job/quote-api-migrate-git-3f2a1bc',
        'Job/quote-api-seed-git-3f2a1bc',
        'NetworkPolicy/default-deny',
      ]),
    );
    for (const object of result.objects) {
      // cdk8s hash suffixes look like -c8a1b2c3.
      expect(object.metadata.name).not.toMatch(/-c8[0-9a-f]{6}$/);
      if (object.kind !== 'Namespace') expect(object.metadata.namespace).toBe('quotes-prod');
      expect(object.metadata.labels).toMatchObject({
        'app.kubernetes.io/part-of': 'quotes',
        'app.kubernetes.io/managed-by': 'qctl',
        'app.kubernetes.io/instance': 'quotes-prod',
        'qctl.dev/env': 'prod',
      });
      expect(Object.keys(object.metadata.labels!)).toEqual(
        expect.arrayContaining(['app.kubernetes.io/name', 'app.kubernetes.io/component']),
      );
    }
  });

  it('set security contexts explicitly on every pod and container', async () => {
    const result = await synthesize({ env: 'dev', image: IMAGE, config: false, monitoring: 'none' });
    const templates = podTemplates(result.objects);
    expect(templates.length).toBe(5);
    for (const { spec, object } of templates) {
      expect(spec.securityContext, object.metadata.name).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const container of spec.containers) {
        expect(container.securityContext, container.name).toEqual(
          expect.objectContaining({
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          }),
        );
      }
    }
    const uid = (name: string) => byKind(result.objects, 'StatefulSet', name)[0]!.spec.template.spec.securityContext.runAsUser;
    expect(uid('postgres')).toBe(999);
    expect(uid('redis')).toBe(999);
    expect(byKind(result.objects, 'Deployment', 'quote-api')[0]!.spec.template.spec.securityContext.runAsUser).toBe(1000);
  });

  it('runs the image commands and wires config and secret references', async () => {
    const result = await synthesize({ env: 'dev', image: IMAGE, config: false, monitoring: 'none' });
    const api = byKind(result.objects, 'Deployment', 'quote-api')[0]!.spec.template;
    const container = api.spec.containers[0];
    expect([...container.command, ...container.args]).toEqual(['node', 'build/app/main.js', 'serve']);
    expect(container.image).toBe(IMAGE);
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
    expect(container.envFrom).toEqual([
      { configMapRef: { name: 'quote-api-config' } },
      { secretRef: { name: 'quote-api-secrets', optional: true } },
    ]);
    const secretRefs = container.env
      .filter((e: Json) => e.valueFrom)
      .map((e: Json) => `${e.name}<-${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`);
    expect(secretRefs).toEqual([
      'PGUSER<-postgres-credentials/username',
      'PGPASSWORD<-postgres-credentials/password',
      'REDIS_PASSWORD<-redis-credentials/password',
    ]);
    expect(container.env.find((e: Json) => e.name === 'REDIS_URL').value).toBe(
      'redis://:$(REDIS_PASSWORD)@redis.quotes-dev.svc.cluster.local:6379/0',
    );
    expect(api.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8080',
      'prometheus.io/path': '/metrics',
    });
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.startupProbe).toBeDefined();
    expect(container.lifecycle.preStop.exec.command[0]).toBe('sleep');

    const config = byKind(result.objects, 'ConfigMap', 'quote-api-config')[0]!.data;
    expect(config).toMatchObject({
      PORT: '8080',
      PGHOST: 'postgres.quotes-dev.svc.cluster.local',
      PGDATABASE: 'quotes',
      LOG_LEVEL: 'debug',
      EMBEDDING_MODEL: 'text-embedding-3-small',
      VECTOR_INDEX: 'hnsw',
    });
    // No HOST: the app's dual-stack default (::) serves IPv4, IPv6 and dual-stack clusters alike.
    expect(config).not.toHaveProperty('HOST');
    for (const [kind, command] of [
      ['migrate', 'migrate'],
      ['seed', 'seed'],
    ]) {
      const job = byKind(result.objects, 'Job', `quote-api-${kind}-git-3f2a1bc`)[0]!;
      expect(job.spec.template.spec.containers[0].args).toEqual([command]);
      expect(job.spec).toMatchObject({ backoffLimit: 3, ttlSecondsAfterFinished: 3600 });
      expect(job.spec.template.spec.restartPolicy).toBe('Never');
    }
    expect(byKind(result.objects, 'Secret')).toEqual([]);
  });

  it('a config change changes the pod template hash, so the API rolls', async () => {
    const hash = async (set: string[]) =>
      byKind((await synthesize({ env: 'dev', image: IMAGE, config: false, set })).objects, 'Deployment', 'quote-api')[0]!.spec.template
        .metadata.annotations['qctl.dev/config-hash'];
    expect(await hash([])).toBe(await hash([]));
    expect(await hash(['app.cacheTtlSeconds=60'])).not.toBe(await hash([]));
  });

  it('HPA (autoscaling/v2) and PDB only where replicas can exceed one; no fixed replicas under an HPA', async () => {
    const dev = (await synthesize({ env: 'dev', config: false })).objects;
    expect(byKind(dev, 'HorizontalPodAutoscaler')).toEqual([]);
    expect(byKind(dev, 'PodDisruptionBudget')).toEqual([]);
    expect(byKind(dev, 'Deployment', 'quote-api')[0]!.spec.replicas).toBe(1);

    const prod = (await synthesize({ env: 'prod', config: false })).objects;
    const hpa = byKind(prod, 'HorizontalPodAutoscaler', 'quote-api')[0]!;
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec).toMatchObject({ minReplicas: 3, maxReplicas: 10, scaleTargetRef: { kind: 'Deployment', name: 'quote-api' } });
    expect(hpa.spec.metrics.map((m: Json) => m.resource.name)).toEqual(['cpu', 'memory']);
    expect(hpa.spec.behavior.scaleDown.stabilizationWindowSeconds).toBe(300);
    expect(byKind(prod, 'Deployment', 'quote-api')[0]!.spec.replicas).toBeUndefined();
    expect(byKind(prod, 'PodDisruptionBudget', 'quote-api')[0]!.spec.maxUnavailable).toBe(1);

    const staging2 = (await synthesize({ env: 'staging', config: false, set: ['api.replicas=2'] })).objects;
    expect(byKind(staging2, 'PodDisruptionBudget')).toHaveLength(1);
    const noMemory = (await synthesize({ env: 'prod', config: false, set: ['api.hpa.memoryUtilization=null'] })).objects;
    expect(byKind(noMemory, 'HorizontalPodAutoscaler')[0]!.spec.metrics).toHaveLength(1);
  });

  it('chooses pull policy, ingress class and storage class per cluster flavour, with overrides', async () => {
    const on = async (cluster: string, set: string[] = []) =>
      (await synthesize({ env: 'dev', cluster, image: IMAGE, config: false, set })).objects;
    const pull = (objects: KubeObject[]) => byKind(objects, 'Deployment', 'quote-api')[0]!.spec.template.spec.containers[0].imagePullPolicy;
    const ingressClass = (objects: KubeObject[]) => byKind(objects, 'Ingress', 'quote-api')[0]!.spec.ingressClassName;
    const storage = (objects: KubeObject[]) =>
      byKind(objects, 'StatefulSet', 'postgres')[0]!.spec.volumeClaimTemplates[0].spec.storageClassName;

    const microk8s = await on('microk8s');
    expect([pull(microk8s), ingressClass(microk8s), storage(microk8s)]).toEqual(['IfNotPresent', 'public', 'microk8s-hostpath']);
    const k3d = await on('k3d');
    expect([pull(k3d), ingressClass(k3d)]).toEqual(['IfNotPresent', 'traefik']);
    const generic = await on('generic');
    expect([pull(generic), ingressClass(generic), storage(generic)]).toEqual(['Always', 'nginx', undefined]);
    const overridden = await on('microk8s', ['ingress.className=nginx', 'image.pullPolicy=Always', 'postgres.storageClassName=fast']);
    expect([pull(overridden), ingressClass(overridden), storage(overridden)]).toEqual(['Always', 'nginx', 'fast']);
    // No controller-specific annotations for basic routing: only qctl's deploy phase.
    expect(byKind(microk8s, 'Ingress')[0]!.metadata.annotations).toEqual({ 'qctl.dev/phase': 'api' });
  });

  it('ingress host per environment, optional TLS', async () => {
    const dev = byKind((await synthesize({ env: 'dev', config: false })).objects, 'Ingress')[0]!;
    expect(dev.spec.rules[0].host).toBe('quotes.127.0.0.1.nip.io');
    expect(dev.spec.tls).toBeUndefined();
    const tls = byKind(
      (await synthesize({ env: 'prod', config: false, set: ['ingress.host=quotes.example.com', 'ingress.tlsSecretName=quotes-tls'] }))
        .objects,
      'Ingress',
    )[0]!;
    expect(tls.spec.tls).toEqual([{ hosts: ['quotes.example.com'], secretName: 'quotes-tls' }]);
    const none = (await synthesize({ env: 'dev', config: false, set: ['ingress.mode=none'] })).objects;
    expect(byKind(none, 'Ingress')).toEqual([]);
  });

  it('external Postgres emits no database and points the API at the host', async () => {
    const result = await synthesize({
      env: 'prod',
      config: false,
      monitoring: 'none',
      set: ['postgres.mode=external', 'postgres.externalHost=db.internal.example.com'],
    });
    expect(byKind(result.objects, 'StatefulSet', 'postgres')).toEqual([]);
    expect(byKind(result.objects, 'Service', 'postgres')).toEqual([]);
    expect(byKind(result.objects, 'NetworkPolicy', 'postgres-ingress')).toEqual([]);
    expect(byKind(result.objects, 'ConfigMap', 'quote-api-config')[0]!.data.PGHOST).toBe('db.internal.example.com');
    expect(validateFiles(result.files).map(formatIssue)).toEqual([]);
  });

  it('spread and Postgres affinity are configurable', async () => {
    const spec = async (set: string[]) =>
      byKind((await synthesize({ env: 'prod', config: false, set })).objects, 'Deployment')[0]!.spec.template.spec;
    const preferred = await spec([]);
    expect(preferred.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    expect(preferred.affinity.podAntiAffinity).toBeDefined();
    expect(preferred.affinity.podAffinity).toBeUndefined();
    expect((await spec(['api.spread=required'])).topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    const none = await spec(['api.spread=none', 'api.postgresAffinity=true']);
    expect(none.topologySpreadConstraints).toBeUndefined();
    expect(
      none.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.labelSelector.matchLabels[
        'app.kubernetes.io/name'
      ],
    ).toBe('postgres');
  });

  it('network policies: default deny plus the stack paths, including monitoring', async () => {
    const objects = (await synthesize({ env: 'dev', config: false, monitoring: 'none' })).objects;
    const policy = (name: string) => byKind(objects, 'NetworkPolicy', name)[0]!.spec;
    // No empty rule lists: the API server would not store them, so every apply would be a change.
    expect(policy('default-deny')).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(policy('quote-api-ingress').ingress[0].from[0].namespaceSelector.matchExpressions[0].values).toEqual(['ingress']);
    const apiEgressPorts = policy('quote-api-egress').egress.flatMap((rule: Json) => rule.ports.map((p: Json) => p.port));
    expect(apiEgressPorts).toEqual([5432, 6379, 443]);
    expect(policy('migrate-job-egress').egress.flatMap((rule: Json) => rule.ports.map((p: Json) => p.port))).toEqual([5432]);
    const monitoringFrom = policy('allow-monitoring-scrape').ingress[0];
    expect(monitoringFrom.from[0].namespaceSelector.matchExpressions[0].values).toEqual(['monitoring']);
    expect(monitoringFrom.ports.map((p: Json) => p.port)).toEqual([8080, 'metrics']);
    expect(policy('postgres-ingress').ingress[0].from.map((peer: Json) => peer.podSelector.matchLabels['app.kubernetes.io/name'])).toEqual([
      'quote-api',
      'quote-api-migrate',
      'quote-api-seed',
    ]);
    const generic = (await synthesize({ env: 'dev', cluster: 'generic', config: false })).objects;
    expect(byKind(generic, 'NetworkPolicy', 'quote-api-ingress')[0]!.spec.ingress[0].from).toEqual([{ namespaceSelector: {} }]);
  });
});

describe('output', () => {
  it('two runs are byte-identical, files are ordered with the namespace first', async () => {
    const first = renderFiles(await synthesize({ env: 'prod', config: false }));
    const second = renderFiles(await synthesize({ env: 'prod', config: false }));
    expect(second).toEqual(first);
    const names = first.map((f) => f.name);
    expect(names[0]).toBe('00-namespace.yaml');
    expect([...names].sort()).toEqual(names);
  });

  it('writeSynthOutput writes dist/<env>/, identical bytes on re-run, and removes stale files', async () => {
    const out = join(tmp, 'dist');
    const result = await synthesize({ env: 'staging', config: false });
    const { dir, paths } = writeSynthOutput(result, out);
    expect(dir).toBe(join(out, 'staging'));
    const before = paths.map((p) => readFileSync(p));
    writeFileSync(join(dir, '55-removed-from-code.yaml'), 'kind: Stale\n');
    writeFileSync(join(dir, 'notes.txt'), 'not ours');
    writeSynthOutput(await synthesize({ env: 'staging', config: false }), out);
    expect(paths.map((p) => readFileSync(p))).toEqual(before);
    expect(readdirSync(dir)).not.toContain('55-removed-from-code.yaml');
    expect(readdirSync(dir)).toContain('notes.txt');
  });

  it('rejects bad inputs with clear messages', async () => {
    await expect(synthesize({ env: 'qa', config: false })).rejects.toThrow('unknown environment "qa"');
    await expect(synthesize({ env: 'dev', cluster: 'eks', config: false })).rejects.toThrow('unknown cluster "eks"');
    await expect(synthesize({ env: 'dev', monitoring: 'datadog', config: false })).rejects.toThrow(
      'unknown --monitoring "datadog": use one of self, operator, none',
    );
    await expect(synthesize({ env: 'dev', image: 'quote-api', config: false })).rejects.toThrow('has no tag');
    await expect(synthesize({ env: 'dev', set: ['api.replicas=-1'], config: false })).rejects.toThrow('--set api.replicas=-1');
  });

  it('takes cluster, monitoring and overrides from a config object', async () => {
    const result = await synthesize({
      env: 'prod',
      config: {
        cluster: 'k3d',
        monitoring: 'none',
        defaults: { api: { logLevel: 'warn' } },
        environments: { prod: { api: { hpa: { maxReplicas: 6 } } } },
      },
    });
    expect(result.cluster).toBe('k3d');
    expect(result.monitoring).toBe('none');
    expect(byKind(result.objects, 'ConfigMap', 'quote-api-config')[0]!.data.LOG_LEVEL).toBe('warn');
    expect(byKind(result.objects, 'HorizontalPodAutoscaler')[0]!.spec.maxReplicas).toBe(6);
    // --set wins over the config file.
    const set = await synthesize({
      env: 'prod',
      set: ['api.hpa.maxReplicas=7'],
      config: { environments: { prod: { api: { hpa: { maxReplicas: 6 } } } } },
    });
    expect(byKind(set.objects, 'HorizontalPodAutoscaler')[0]!.spec.maxReplicas).toBe(7);
    expect(appObjects(set.objects, 'quotes-prod').length).toBeGreaterThan(20);
  });
});
