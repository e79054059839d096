import { describe, expect, it } from 'vitest';
import { buildRouting, type RoutingProps } from '../../../infra/charts/routing.js';
import { BASE_SETTINGS } from '../../../infra/environments.js';
import { validateObjects, formatIssue } from '../../../infra/validate.js';
import { only, PROPS, synthChart } from './synth-chart.js';

const route = (props: RoutingProps) => synthChart((scope) => buildRouting(scope, props), '40-quote-api.yaml')[0]!;
const gatewayMode = { ...BASE_SETTINGS.ingress, mode: 'gateway' as const };
const istio = { ...BASE_SETTINGS.traffic, mesh: 'istio' as const };

describe('buildRouting', () => {
  it('writes nothing in ingress mode without a mesh (the default)', () => {
    expect(route(PROPS)).toEqual([]);
  });

  it('gateway mode: an HTTPRoute for the host, attached to the Gateway from settings, to the API Service, with the timeout', () => {
    const objects = route({ ...PROPS, ingress: gatewayMode });
    expect(objects.map((o) => o.kind)).toEqual(['HTTPRoute']);
    const spec = only(objects, 'HTTPRoute').spec;
    expect(spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'quotes' }]);
    expect(spec.hostnames).toEqual(['quotes.127.0.0.1.nip.io']);
    expect(spec.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ group: '', kind: 'Service', name: 'quote-api', port: 80 }],
        timeouts: { request: '30s' },
      },
    ]);
    expect(objects[0]!.metadata.annotations?.['qctl.dev/phase']).toBe('api');
  });

  it('gateway mode with a canary: stable and canary Services weighted 100-w / w', () => {
    const spec = only(route({ ...PROPS, ingress: gatewayMode, canaryWeight: 20 }), 'HTTPRoute').spec;
    expect(spec.rules[0].backendRefs.map((b: { name: string; weight: number }) => [b.name, b.weight])).toEqual([
      ['quote-api-stable', 80],
      ['quote-api-canary', 20],
    ]);
  });

  it('a shared Gateway elsewhere: the parentRef names its namespace and listener; a created one admits this namespace, with HTTPS when TLS is set', () => {
    const gateway = { name: 'shared', namespace: 'gateway-system', sectionName: 'web', create: true, className: 'eg' };
    const objects = route({ ...PROPS, ingress: { ...gatewayMode, gateway, tlsSecretName: 'quotes-tls' } });
    expect(only(objects, 'HTTPRoute').spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'shared', namespace: 'gateway-system', sectionName: 'web' },
    ]);
    const created = only(objects, 'Gateway');
    expect(created.metadata).toMatchObject({ name: 'shared', namespace: 'gateway-system' });
    expect(created.spec.gatewayClassName).toBe('eg');
    expect(created.spec.listeners.map((l: { name: string; port: number }) => [l.name, l.port])).toEqual([
      ['http', 80],
      ['https', 443],
    ]);
    expect(created.spec.listeners[1].tls.certificateRefs).toEqual([{ group: '', kind: 'Secret', name: 'quotes-tls' }]);
    expect(created.spec.listeners[0].allowedRoutes.namespaces).toEqual({
      from: 'Selector',
      selector: { matchLabels: { 'kubernetes.io/metadata.name': 'quotes-test' } },
    });
    const local = only(route({ ...PROPS, ingress: { ...gatewayMode, gateway: { ...gateway, namespace: null } } }), 'Gateway');
    expect(local.metadata.namespace).toBe('quotes-test');
    expect(local.spec.listeners).toHaveLength(1);
    expect(local.spec.listeners[0].allowedRoutes.namespaces).toEqual({ from: 'Same' });
  });

  it('Istio: a VirtualService with timeout and retries on the Service host, a DestinationRule with one subset per track', () => {
    const objects = route({ ...PROPS, traffic: istio });
    expect(objects.map((o) => o.kind)).toEqual(['DestinationRule', 'VirtualService']);
    const host = 'quote-api.quotes-test.svc.cluster.local';
    expect(only(objects, 'DestinationRule').spec).toEqual({
      host,
      subsets: [
        { name: 'stable', labels: { 'qctl.dev/track': 'stable' } },
        { name: 'canary', labels: { 'qctl.dev/track': 'canary' } },
      ],
    });
    const http = only(objects, 'VirtualService').spec.http[0];
    expect(only(objects, 'VirtualService').spec.hosts).toEqual([host]);
    expect(http.route).toEqual([{ destination: { host, port: { number: 80 } } }]);
    expect(http.timeout).toBe('30s');
    expect(http.retries).toMatchObject({ attempts: 2, perTryTimeout: '10s' });
    expect(http.retries.retryOn).not.toMatch(/(^|,)5xx/);
  });

  it('Istio with a canary: weighted subsets; attempts 0 is written out so Istio does not retry by default', () => {
    const objects = route({ ...PROPS, traffic: { ...istio, retries: { attempts: 0, perTryTimeout: '2s' } }, canaryWeight: 35 });
    const http = only(objects, 'VirtualService').spec.http[0];
    expect(http.route.map((r: { destination: { subset: string }; weight: number }) => [r.destination.subset, r.weight])).toEqual([
      ['stable', 65],
      ['canary', 35],
    ]);
    expect(http.retries).toEqual({ attempts: 0 });
  });

  it('every variant validates against the Gateway API and Istio CRD schemas', () => {
    const variants: RoutingProps[] = [
      { ...PROPS, ingress: gatewayMode, traffic: istio, canaryWeight: 0 },
      { ...PROPS, ingress: gatewayMode, canaryWeight: 100 },
      {
        ...PROPS,
        ingress: {
          ...gatewayMode,
          tlsSecretName: 'tls',
          gateway: { name: 'gw', namespace: 'edge', sectionName: 'http', create: true, className: 'istio' },
        },
        traffic: { ...istio, retries: { attempts: 0, perTryTimeout: '500ms' }, timeout: '1m' },
        canaryWeight: 50,
      },
    ];
    for (const props of variants) {
      const objects = route(props);
      expect(validateObjects(objects).map(formatIssue), JSON.stringify(props)).toEqual([]);
    }
  });
});
