import { describe, expect, it } from 'vitest';
import { buildNetworkPolicies, type NetworkPoliciesProps } from '../../../infra/charts/network-policies.js';
import { only, PROPS, synthChart } from './synth-chart.js';

const policies = (props: NetworkPoliciesProps) => synthChart((scope) => buildNetworkPolicies(scope, props), '15-network-policies.yaml')[0]!;
const names = (props: NetworkPoliciesProps) => policies(props).map((o) => o.metadata.name);

describe('buildNetworkPolicies', () => {
  it('by default: deny all, then one policy per path, all in phase config', () => {
    const objects = policies(PROPS);
    expect(objects.map((o) => o.metadata.name)).toEqual([
      'default-deny',
      'allow-dns',
      'quote-api-ingress',
      'quote-api-egress',
      'migrate-job-egress',
      'seed-job-egress',
      'postgres-ingress',
      'redis-ingress',
      'allow-monitoring-scrape',
    ]);
    expect(objects.every((o) => o.metadata.annotations?.['qctl.dev/phase'] === 'config')).toBe(true);
    expect(only(objects, 'NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    // Documented defaults: any namespace may reach http (controller unknown), scrapes from `monitoring`, egress 443.
    expect(only(objects, 'NetworkPolicy', 'quote-api-ingress').spec.ingress).toEqual([
      { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 'http' }] },
    ]);
    const scrape = only(objects, 'NetworkPolicy', 'allow-monitoring-scrape').spec.ingress[0];
    expect(scrape.from[0].namespaceSelector.matchExpressions[0].values).toEqual(['monitoring']);
    expect(only(objects, 'NetworkPolicy', 'quote-api-egress').spec.egress).toContainEqual({
      to: [{ ipBlock: { cidr: '0.0.0.0/0' } }],
      ports: [{ protocol: 'TCP', port: 443 }],
    });
  });

  it('follows the databases that run, the controller and monitoring namespaces, the ports', () => {
    expect(names({ ...PROPS, internalDatabase: false, redis: false })).not.toEqual(expect.arrayContaining(['postgres-ingress']));
    expect(names({ ...PROPS, redis: false })).not.toContain('redis-ingress');
    const objects = policies({
      ...PROPS,
      internalDatabase: false,
      postgresPort: 6432,
      ingressControllerNamespaces: ['ingress'],
      monitoringNamespaces: ['obs', 'monitoring-dev'],
      egressPorts: [],
    });
    expect(only(objects, 'NetworkPolicy', 'migrate-job-egress').spec.egress).toEqual([
      { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 6432 }] },
    ]);
    expect(
      only(objects, 'NetworkPolicy', 'quote-api-ingress').spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values,
    ).toEqual(['ingress']);
    expect(
      only(objects, 'NetworkPolicy', 'allow-monitoring-scrape').spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values,
    ).toEqual(['monitoring-dev', 'obs']);
    expect(JSON.stringify(only(objects, 'NetworkPolicy', 'seed-job-egress').spec.egress)).not.toContain('443');
  });

  it('per exposure mode: the controller namespaces, any source for a NodePort, no http path at all for none', () => {
    const ingressRule = (props: NetworkPoliciesProps) =>
      (policies(props).find((o) => o.metadata.name === 'quote-api-ingress') as { spec: { ingress: unknown[] } } | undefined)?.spec.ingress;
    expect(ingressRule({ ...PROPS, exposure: 'gateway', ingressControllerNamespaces: ['gateway-system'] })).toEqual([
      {
        from: [
          { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['gateway-system'] }] } },
        ],
        ports: [{ protocol: 'TCP', port: 'http' }],
      },
    ]);
    expect(ingressRule({ ...PROPS, exposure: 'nodeport', ingressControllerNamespaces: ['ingress'] })).toEqual([
      { ports: [{ protocol: 'TCP', port: 'http' }] },
    ]);
    expect(ingressRule({ ...PROPS, exposure: 'none' })).toBeUndefined();
    // Scrapes still reach the API whatever the exposure.
    expect(names({ ...PROPS, exposure: 'none' })).toContain('allow-monitoring-scrape');
  });

  it('with Istio: the API pods may reach istiod for their sidecars', () => {
    expect(names(PROPS)).not.toContain('quote-api-mesh');
    const mesh = only(policies({ ...PROPS, istio: true }), 'NetworkPolicy', 'quote-api-mesh');
    expect(mesh.spec.podSelector.matchLabels['app.kubernetes.io/name']).toBe('quote-api');
    expect(mesh.spec.egress).toEqual([
      {
        to: [
          { namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['istio-system'] }] } },
        ],
        ports: [{ protocol: 'TCP', port: 15012 }],
      },
    ]);
  });
});
