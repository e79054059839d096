import { ApiObject } from 'cdk8s';
import type { INetworkPolicyEgressRule, INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS } from '../environments.js';
import { networkPolicy, type LabelSelector, type NetworkPolicyRules } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import { API_PORT } from './app-config.js';
import { POSTGRES_NAME } from './postgres.js';
import { labelsFor, selectorFor, stackPropsFrom, type StackProps } from './props.js';
import { API_NAME } from './quote-api.js';
import { gatewayNamespace } from './routing.js';
import type { ExposureMode } from '../settings-schema.js';
import { REDIS_NAME, REDIS_PORT } from './redis.js';

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** Where istiod runs (istioctl's and microk8s' istio addon's default), and its xDS/CA port the sidecars dial. */
const ISTIO_NAMESPACE = 'istio-system';
const ISTIOD_XDS_PORT = 15012;
const ANYWHERE: INetworkPolicyPeer = { ipBlock: { cidr: '0.0.0.0/0' } };

function namespacesPeer(names: string[]): INetworkPolicyPeer {
  return { namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...names].sort() }] } };
}
const tcp = (port: number | string): INetworkPolicyPort => ({ protocol: 'TCP', port });

export interface NetworkPoliciesProps extends StackProps {
  /** Postgres runs in the namespace; false (external database) allows its port to any address. @default true */
  internalDatabase?: boolean;
  /** @default 5432 */
  postgresPort?: number;
  /** Redis runs in the namespace. @default true */
  redis?: boolean;
  /** Namespaces whose Prometheus may scrape metrics ports and whose exporters may reach the databases. @default ['monitoring'] */
  monitoringNamespaces?: string[];
  /** Namespaces of the ingress controller (or the Gateway's proxies); null lets any namespace reach the API's http port only. @default null */
  ingressControllerNamespaces?: string[] | null;
  /**
   * How traffic reaches the API's http port: through the controller namespaces (ingress, gateway),
   * from any address (nodeport: node and client IPs cannot be told apart), or not at all (none). @default 'ingress'
   */
  exposure?: ExposureMode;
  /** API pods run Istio sidecars, which reach istiod in istio-system. @default false */
  istio?: boolean;
  /** TCP ports the API and the seed Job may reach anywhere (the embeddings API, DummyJSON). @default [443] */
  egressPorts?: number[];
}

export function networkPoliciesPropsFrom(ctx: SynthContext): NetworkPoliciesProps {
  const { env } = ctx;
  return {
    ...stackPropsFrom(ctx),
    internalDatabase: env.postgres.mode === 'internal',
    postgresPort: env.postgres.port,
    redis: env.redis.enabled,
    // The environment's own monitoring namespace (self mode), plus the configured ones (kube-prometheus-stack's).
    monitoringNamespaces: [...(ctx.monitoring === 'self' ? [ctx.monitoringNamespace] : []), ...env.networkPolicy.monitoringNamespaces],
    // A Gateway's proxies usually run in its namespace (Istio, NGINX Gateway Fabric); others (Envoy Gateway) set the setting.
    ingressControllerNamespaces:
      env.ingress.mode === 'gateway'
        ? (env.networkPolicy.ingressControllerNamespaces ?? [gatewayNamespace(env.ingress.gateway, ctx.namespace)])
        : ctx.ingressControllerNamespaces,
    egressPorts: env.networkPolicy.egressPorts,
    exposure: env.ingress.mode,
    istio: env.traffic.mesh === 'istio',
  };
}

/**
 * Default deny for the app namespace, then one policy per path the stack needs:
 *   ingress controller -> API http; API -> Postgres, Redis, DNS, embeddings API (egressPorts);
 *   (API -> Redis also carries the read-replica sidecar's replication: the same port 6379);
 *   migrate Job -> Postgres; seed Job -> Postgres, Redis, embeddings API;
 *   monitoring namespaces -> metrics ports (API http, any container port named `metrics`)
 *   and the Postgres/Redis ports (for exporters running there).
 */
export function buildNetworkPolicies(scope: ManifestScope, props: NetworkPoliciesProps): void {
  const chart = scope.file('15-network-policies.yaml');
  const base = BASE_SETTINGS.networkPolicy;
  const internalDb = props.internalDatabase ?? true;
  const redis = props.redis ?? true;
  const pods = (name: string): INetworkPolicyPeer => ({ podSelector: { matchLabels: selectorFor(props, name) } });
  const api = pods(API_NAME);
  const migrate = pods(`${API_NAME}-migrate`);
  const seed = pods(`${API_NAME}-seed`);
  const monitoring = namespacesPeer(props.monitoringNamespaces ?? base.monitoringNamespaces);
  const outside = (props.egressPorts ?? base.egressPorts).map(tcp);
  const dbPort = tcp(props.postgresPort ?? BASE_SETTINGS.postgres.port);

  const add = (name: string, podSelector: LabelSelector, rules: NetworkPolicyRules): void => {
    new ApiObject(
      chart,
      name,
      networkPolicy({ name, namespace: props.namespace, labels: labelsFor(props, name, 'network-policy') }, podSelector, rules),
    );
  };

  add('default-deny', {}, { ingress: [], egress: [] });
  add(
    'allow-dns',
    {},
    {
      egress: [{ to: [namespacesPeer(['kube-system'])], ports: [{ protocol: 'UDP', port: 53 }, tcp(53)] }],
    },
  );

  const controllers =
    props.ingressControllerNamespaces === undefined ? base.ingressControllerNamespaces : props.ingressControllerNamespaces;
  const exposure = props.exposure ?? 'ingress';
  if (exposure === 'nodeport') {
    // No `from`: NodePort traffic arrives from node or client addresses, which no selector names.
    add('quote-api-ingress', api.podSelector!, { ingress: [{ ports: [tcp('http')] }] });
  } else if (exposure !== 'none') {
    add('quote-api-ingress', api.podSelector!, {
      // null: the controller's namespace is unknown (generic cluster), so any namespace may reach http only.
      ingress: [{ from: [controllers ? namespacesPeer(controllers) : { namespaceSelector: {} }], ports: [tcp('http')] }],
    });
  }
  if (props.istio) {
    add('quote-api-mesh', api.podSelector!, { egress: [{ to: [namespacesPeer([ISTIO_NAMESPACE])], ports: [tcp(ISTIOD_XDS_PORT)] }] });
  }

  const apiEgress: INetworkPolicyEgressRule[] = [{ to: [internalDb ? pods(POSTGRES_NAME) : ANYWHERE], ports: [dbPort] }];
  if (redis) apiEgress.push({ to: [pods(REDIS_NAME)], ports: [tcp(REDIS_PORT)] });
  if (outside.length > 0) apiEgress.push({ to: [ANYWHERE], ports: outside });
  add('quote-api-egress', api.podSelector!, { egress: apiEgress });

  add('migrate-job-egress', migrate.podSelector!, {
    egress: [{ to: [internalDb ? pods(POSTGRES_NAME) : ANYWHERE], ports: [dbPort] }],
  });
  const seedEgress: INetworkPolicyEgressRule[] = [{ to: [internalDb ? pods(POSTGRES_NAME) : ANYWHERE], ports: [dbPort] }];
  if (redis) seedEgress.push({ to: [pods(REDIS_NAME)], ports: [tcp(REDIS_PORT)] });
  if (outside.length > 0) seedEgress.push({ to: [ANYWHERE], ports: outside });
  add('seed-job-egress', seed.podSelector!, { egress: seedEgress });

  if (internalDb) {
    add('postgres-ingress', pods(POSTGRES_NAME).podSelector!, {
      ingress: [
        { from: [api, migrate, seed], ports: [dbPort] },
        { from: [monitoring], ports: [dbPort] },
      ],
    });
  }
  if (redis) {
    add('redis-ingress', pods(REDIS_NAME).podSelector!, {
      ingress: [
        { from: [api, seed], ports: [tcp(REDIS_PORT)] },
        { from: [monitoring], ports: [tcp(REDIS_PORT)] },
      ],
    });
  }
  add(
    'allow-monitoring-scrape',
    {},
    {
      ingress: [{ from: [monitoring], ports: [tcp(API_PORT), tcp('metrics')] }],
    },
  );
}
