import { describe, expect, it } from 'vitest';
import { canaryReplicas, canaryTrafficShare } from '../../infra/charts/canary.js';
import { CLUSTER_NAMES } from '../../infra/clusters.js';
import { BASE_SETTINGS, ENVIRONMENT_NAMES } from '../../infra/environments.js';
import { synthesize, type KubeObject } from '../../infra/main.js';
import { EXPOSURE_MODES } from '../../infra/settings-schema.js';
import { formatIssue, validateFiles } from '../../infra/validate.js';

type Json = Record<string, any>;
const IMAGE = '127.0.0.1:32000/quote-api:git-3f2a1bc';
const find = (objects: KubeObject[], kind: string, name = 'quote-api') =>
  objects.find((o) => o.kind === kind && o.metadata.name === name) as Json | undefined;
const names = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`);

/** The settings of one variant: an exposure mode, a canary at 20% and, for every other mode, the Istio mesh. */
function variant(mode: (typeof EXPOSURE_MODES)[number], istio: boolean): string[] {
  const set = [`ingress.mode=${mode}`, 'canary.tag=git-canary1', 'canary.weight=20', `traffic.mesh=${istio ? 'istio' : 'none'}`];
  if (mode === 'gateway' && istio)
    set.push('ingress.gateway.create=true', 'ingress.gateway.className=istio', 'ingress.tlsSecretName=quotes-tls');
  return set;
}

describe('every exposure mode, with a canary and with or without Istio, validates in every environment and cluster flavour', () => {
  const cases = ENVIRONMENT_NAMES.flatMap((env) => CLUSTER_NAMES.map((cluster) => [env, cluster] as const));
  it.each(cases)('%s on %s', async (env, cluster) => {
    for (const mode of EXPOSURE_MODES) {
      for (const istio of [false, true]) {
        const label = `${env}/${cluster}/${mode}${istio ? '/istio' : ''}`;
        const result = await synthesize({ env, cluster, image: IMAGE, config: false, monitoring: 'none', set: variant(mode, istio) });
        // Errors and warnings alike: the Gateway API and Istio kinds are checked against their CRD schemas.
        expect(validateFiles(result.files).map(formatIssue), label).toEqual([]);
        const { objects } = result;
        expect(find(objects, 'Ingress') !== undefined, label).toBe(mode === 'ingress');
        expect(find(objects, 'HTTPRoute') !== undefined, label).toBe(mode === 'gateway');
        expect(find(objects, 'Gateway', 'quotes') !== undefined, label).toBe(mode === 'gateway' && istio);
        expect(find(objects, 'Service')!.spec.type, label).toBe(mode === 'nodeport' ? 'NodePort' : 'ClusterIP');
        expect(find(objects, 'VirtualService') !== undefined, label).toBe(istio);
        expect(find(objects, 'DestinationRule') !== undefined, label).toBe(istio);
        expect(find(objects, 'NetworkPolicy', 'quote-api-ingress') !== undefined, label).toBe(mode !== 'none');
        expect(find(objects, 'NetworkPolicy', 'quote-api-mesh') !== undefined, label).toBe(istio);
        const canary = find(objects, 'Deployment', 'quote-api-canary')!;
        expect(canary.spec.template.spec.containers[0].image, label).toBe('127.0.0.1:32000/quote-api:git-canary1');
        expect(find(objects, 'Service', 'quote-api-canary'), label).toBeDefined();
        expect(find(objects, 'Service', 'quote-api-stable'), label).toBeDefined();
      }
    }
  });
});

describe('exposure settings', () => {
  it('the default stays an Ingress, with no canary objects and no routes', async () => {
    for (const env of ENVIRONMENT_NAMES) {
      const { objects } = await synthesize({ env, config: false, monitoring: 'none' });
      expect(names(objects)).toContain('Ingress/quote-api');
      expect(names(objects).filter((n) => /canary|stable|HTTPRoute|Gateway|VirtualService|DestinationRule/.test(n))).toEqual([]);
    }
  });

  it('each environment has its own node port, so all three fit on one cluster', async () => {
    const ports = [];
    for (const env of ENVIRONMENT_NAMES) {
      const { objects } = await synthesize({ env, config: false, monitoring: 'none', set: ['ingress.mode=nodeport'] });
      ports.push(find(objects, 'Service')!.spec.ports[0].nodePort);
    }
    expect(ports).toEqual([30080, 30081, 30082]);
  });

  it('gateway mode admits the Gateway namespace to the API, unless the controller namespaces are set', async () => {
    const values = (objects: KubeObject[]) =>
      find(objects, 'NetworkPolicy', 'quote-api-ingress')!.spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values;
    const shared = await synthesize({ env: 'dev', config: false, set: ['ingress.mode=gateway', 'ingress.gateway.namespace=edge'] });
    expect(values(shared.objects)).toEqual(['edge']);
    const local = await synthesize({ env: 'dev', config: false, set: ['ingress.mode=gateway'] });
    expect(values(local.objects)).toEqual(['quotes-dev']);
    const envoy = await synthesize({
      env: 'dev',
      config: false,
      set: ['ingress.mode=gateway', 'networkPolicy.ingressControllerNamespaces=envoy-gateway-system'],
    });
    expect(values(envoy.objects)).toEqual(['envoy-gateway-system']);
  });

  it('Grafana gets an Ingress in ingress mode only', async () => {
    for (const mode of EXPOSURE_MODES) {
      const { objects } = await synthesize({ env: 'dev', config: false, monitoring: 'self', set: [`ingress.mode=${mode}`] });
      expect(find(objects, 'Ingress', 'grafana') !== undefined, mode).toBe(mode === 'ingress');
    }
  });

  it('refuses bad values with one line naming the setting and the fix', async () => {
    const cases: [string[], RegExp][] = [
      [
        ['ingress.enabled=false'],
        /setting "ingress\.enabled" is gone: it was replaced by ingress\.mode: write ingress\.mode=none for false/,
      ],
      [['ingress.mode=loadbalancer'], /ingress\.mode/],
      [
        ['ingress.mode=nodeport', 'ingress.nodePort=8080'],
        /ingress\.nodePort for environment dev: Too small: expected number to be >=30000/,
      ],
      [['ingress.nodePort=32768'], /ingress\.nodePort/],
      [['canary.tag=latest'], /canary\.tag for environment dev: the tag "latest" is not allowed/],
      [['canary.weight=101'], /canary\.weight/],
      [['traffic.timeout=0s'], /traffic\.timeout for environment dev: expected a duration above zero/],
      [
        ['traffic.mesh=istio', 'traffic.retries.perTryTimeout=1m'],
        /traffic\.retries\.perTryTimeout for environment dev is 1m but traffic\.timeout is 30s: make perTryTimeout <= timeout/,
      ],
      [
        ['ingress.mode=gateway', 'ingress.gateway.create=true'],
        /ingress\.gateway\.className for environment dev is required when ingress\.gateway\.create is true/,
      ],
    ];
    for (const [set, message] of cases) {
      await expect(synthesize({ env: 'dev', config: false, set }), set.join(' ')).rejects.toThrow(message);
    }
    await expect(synthesize({ env: 'dev', config: { defaults: { ingress: { enabled: false } } as never } })).rejects.toThrow(
      /config defaults: setting "ingress\.enabled" for environment dev is gone: it was replaced by ingress\.mode/,
    );
  });

  it('warns about exposure, canary and traffic settings that do nothing in the chosen mode', async () => {
    const ignored = async (set: string[]) =>
      (await synthesize({ env: 'dev', config: false, monitoring: 'none', set })).ignored.map((line) => line.split(' (')[0]);
    expect(
      await ignored(['ingress.mode=nodeport', 'ingress.host=a.example.com', 'ingress.className=nginx', 'ingress.gateway.name=gw']),
    ).toEqual(['ingress.host', 'ingress.className', 'ingress.gateway']);
    expect(await ignored(['ingress.nodePort=30500', 'canary.weight=50', 'traffic.retries.attempts=3', 'traffic.timeout=5s'])).toEqual([
      'ingress.nodePort',
      'canary.weight',
      'traffic.retries',
      'traffic.timeout',
    ]);
    expect(await ignored(['ingress.mode=gateway', 'ingress.gateway.className=istio', 'traffic.timeout=5s'])).toEqual([
      'ingress.gateway.className',
    ]);
    expect(await ignored(['traffic.mesh=istio', 'traffic.retries.attempts=3', 'canary.tag=v2', 'canary.replicas=2'])).toEqual([]);
  });
});

describe('canary replicas and share', () => {
  const settings = (mode: 'ingress' | 'gateway', weight: number, replicas = 1) => ({
    ingress: { ...BASE_SETTINGS.ingress, mode },
    traffic: BASE_SETTINGS.traffic,
    canary: { tag: 'v2', weight, replicas },
  });

  it('where a router splits by weight: canary.replicas pods and exactly the weight', () => {
    expect(canaryReplicas(settings('gateway', 20, 2), 3)).toBe(2);
    expect(canaryTrafficShare(settings('gateway', 20, 2), 3)).toBe(20);
  });

  it('by replica ratio: the pod count nearest the weight, at least 1 and at most max(canary.replicas, stable)', () => {
    const rows = [
      [20, 1, 1, 1, 50],
      [20, 3, 1, 1, 25],
      [50, 3, 1, 3, 50],
      [20, 8, 1, 2, 20],
      [0, 4, 1, 1, 20],
      [90, 3, 1, 3, 50],
      [90, 3, 30, 27, 90],
      [100, 2, 1, 2, 50],
    ];
    for (const [weight, stable, replicas, pods, share] of rows) {
      const s = settings('ingress', weight!, replicas);
      expect([canaryReplicas(s, stable!), canaryTrafficShare(s, stable!)], `weight ${weight}, ${stable} stable`).toEqual([pods, share]);
    }
  });

  it('in synth: prod (HPA floor 3) at 20% runs one canary pod by replica ratio, canary.replicas behind an HTTPRoute', async () => {
    const replicasOf = async (set: string[]) =>
      find(
        (await synthesize({ env: 'prod', config: false, monitoring: 'none', set: ['canary.tag=v2', ...set] })).objects,
        'Deployment',
        'quote-api-canary',
      )!.spec.replicas;
    expect(await replicasOf([])).toBe(1);
    expect(await replicasOf(['canary.weight=50'])).toBe(3);
    expect(await replicasOf(['ingress.mode=gateway', 'canary.replicas=2'])).toBe(2);
  });
});
