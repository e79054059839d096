import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { Labels } from '../labels.js';
import { InfraUsageError } from '../errors.js';
import type { INetworkPolicyEgressRule, INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS } from '../environments.js';
import { networkPolicy, type LabelSelector, type NetworkPolicyRules } from '../objects.js';
import type { ManifestScope } from '../scope.js';
import type { DatabaseEndpoint } from './database.js';
import { labelsFor, stackPropsFrom, type StackProps } from './props.js';
import { gatewayNamespace } from './routing.js';
import type { ExposureMode } from '../settings-schema.js';

const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
/** Where istiod runs (istioctl's and microk8s' istio addon's default), and its xDS/CA port the sidecars dial. */
const ISTIO_NAMESPACE = 'istio-system';
const ISTIOD_XDS_PORT = 15012;
const ANYWHERE: INetworkPolicyPeer = { ipBlock: { cidr: '0.0.0.0/0' } };

function namespacesPeer(names: string[]): INetworkPolicyPeer {
  return { namespaceSelector: { matchExpressions: [{ key: NAMESPACE_NAME_LABEL, operator: 'In', values: [...names].sort() }] } };
}
const tcp = (port: number | string): INetworkPolicyPort => ({ protocol: 'TCP', port });
/** The kube API server has no pod to select: its usual ports, anywhere. */
const KUBE_API_EGRESS: INetworkPolicyEgressRule = { to: [ANYWHERE], ports: [tcp(443), tcp(6443)] };

/** Pods selected by their labels (our constructs' `.selector`). */
export interface SelectedPods {
  readonly selector: Labels;
}

/**
 * The parts of the stack whose paths the policies open; the stack passes its constructs, so
 * selectors and ports come from the parts themselves.
 */
export interface NetworkPolicyParts {
  /** The API: its pods and their container port (scraped by monitoring; ingress reaches the port named `http`). */
  api: SelectedPods & { readonly containerPort: number };
  migrate: SelectedPods;
  seed: SelectedPods;
  /** The server the Jobs (and, without a pooler, the API) connect to; one without `.selector` is outside the cluster (any address). */
  database: DatabaseEndpoint;
  /** A pooler between the API and the database (our PgBouncer, or CloudNativePG's Pooler). */
  pooler?: DatabaseEndpoint;
  /** The cache, when it runs. */
  redis?: SelectedPods & { readonly port: number };
}

export interface NetworkPoliciesProps extends StackProps {
  parts: NetworkPolicyParts;
  /** The database is a CloudNativePG Cluster: its instances' status port and the operator's namespace (and the kube API) are allowed. @default unset */
  cnpg?: { operatorNamespace: string; statusPort: number };
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

/** `cnpgStatusPort`: the Cnpg construct's `.statusPort` when the database is CloudNativePG. */
export function networkPoliciesPropsFrom(ctx: SynthContext, parts: NetworkPolicyParts, cnpgStatusPort?: number): NetworkPoliciesProps {
  const { env } = ctx;
  return {
    ...stackPropsFrom(ctx),
    parts,
    ...(cnpgStatusPort !== undefined
      ? { cnpg: { operatorNamespace: env.postgres.cnpg.operatorNamespace, statusPort: cnpgStatusPort } }
      : {}),
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
export function buildNetworkPolicies(scope: ManifestScope, props: NetworkPoliciesProps): NetworkPolicies {
  return new NetworkPolicies(scope.file('15-network-policies.yaml'), 'network-policies', props);
}

/** Pods another part can be told apart by: our constructs' `.selector`, or a cdk8s-plus workload's `.matchLabels`. */
export type PodPeer = Construct & ({ readonly selector: Labels } | { readonly matchLabels: Record<string, string> });

/** A peer that listens: the port of its pods (NetworkPolicies name pod ports, not Service ports). */
export type PodEndpoint = PodPeer & { readonly containerPort?: number; readonly port?: number };

/**
 * The namespace's NetworkPolicies (see buildNetworkPolicies): default deny, then the paths
 * the stack needs. `allow(from, to)` opens one more path between two parts, e.g. a worker of
 * your own to the database: `networkPolicies.allow(worker, postgres)`.
 */
export class NetworkPolicies extends Construct {
  private readonly props: NetworkPoliciesProps;

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    this.props = props;
    const base = BASE_SETTINGS.networkPolicy;
    const { parts } = props;
    const pods = (part: SelectedPods): INetworkPolicyPeer => ({ podSelector: { matchLabels: part.selector } });
    const api = pods(parts.api);
    const migrate = pods(parts.migrate);
    const seed = pods(parts.seed);
    const monitoring = namespacesPeer(props.monitoringNamespaces ?? base.monitoringNamespaces);
    const outside = (props.egressPorts ?? base.egressPorts).map(tcp);
    // NetworkPolicy ports are the pods' ports: our PgBouncer listens on 6432, CloudNativePG's on 5432.
    const podPort = (endpoint: DatabaseEndpoint) => tcp(endpoint.containerPort ?? endpoint.port);
    const dbPort = podPort(parts.database);
    const internalDb = parts.database.selector !== undefined && !props.cnpg;
    // Where the Jobs (and, without a pooler, the API) connect: the server itself.
    const database: INetworkPolicyPeer = parts.database.selector ? { podSelector: { matchLabels: parts.database.selector } } : ANYWHERE;
    const instances = database;
    const pooler = parts.pooler;
    const poolerPods: INetworkPolicyPeer | undefined = pooler?.selector ? { podSelector: { matchLabels: pooler.selector } } : undefined;
    const poolerPort = pooler ? podPort(pooler) : undefined;
    const apiDatabase = poolerPods ? { to: [poolerPods], ports: [poolerPort!] } : { to: [database], ports: [dbPort] };

    const add = (name: string, podSelector: LabelSelector, rules: NetworkPolicyRules): void => {
      this.addPolicy(name, podSelector, rules);
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

    const apiEgress: INetworkPolicyEgressRule[] = [apiDatabase];
    const redis = parts.redis;
    if (redis) apiEgress.push({ to: [pods(redis)], ports: [tcp(redis.port)] });
    if (outside.length > 0) apiEgress.push({ to: [ANYWHERE], ports: outside });
    add('quote-api-egress', api.podSelector!, { egress: apiEgress });

    add('migrate-job-egress', migrate.podSelector!, {
      egress: [{ to: [database], ports: [dbPort] }],
    });
    const seedEgress: INetworkPolicyEgressRule[] = [{ to: [database], ports: [dbPort] }];
    if (redis) seedEgress.push({ to: [pods(redis)], ports: [tcp(redis.port)] });
    if (outside.length > 0) seedEgress.push({ to: [ANYWHERE], ports: outside });
    add('seed-job-egress', seed.podSelector!, { egress: seedEgress });

    // The server admits the Jobs, and the API or the pooler in front of it.
    const databaseClients = [poolerPods ?? api, migrate, seed];
    if (poolerPods) {
      add('pooler', poolerPods.podSelector!, {
        ingress: [{ from: [api], ports: [poolerPort!] }],
        // CloudNativePG's pooler pods also read their Secrets and status from the kube API.
        egress: [{ to: [database], ports: [dbPort] }, ...(props.cnpg ? [KUBE_API_EGRESS] : [])],
      });
    }
    if (internalDb) {
      add('postgres-ingress', database.podSelector!, {
        ingress: [
          { from: databaseClients, ports: [dbPort] },
          { from: [monitoring], ports: [dbPort] },
        ],
      });
    }
    if (props.cnpg) {
      // Instances replicate from each other and answer the operator's status checks on 8000;
      // their instance manager talks to the kube API. Backups to an object store need an egress rule of your own.
      const status = tcp(props.cnpg.statusPort);
      add('postgres-cnpg', instances.podSelector!, {
        ingress: [
          { from: databaseClients, ports: [dbPort] },
          { from: [monitoring], ports: [dbPort] },
          { from: [instances], ports: [dbPort, status] },
          { from: [namespacesPeer([props.cnpg.operatorNamespace])], ports: [status, dbPort] },
        ],
        egress: [{ to: [instances], ports: [dbPort, status] }, KUBE_API_EGRESS],
      });
    }
    if (redis) {
      add('redis-ingress', pods(redis).podSelector!, {
        ingress: [
          { from: [api, seed], ports: [tcp(redis.port)] },
          { from: [monitoring], ports: [tcp(redis.port)] },
        ],
      });
    }
    add(
      'allow-monitoring-scrape',
      {},
      {
        ingress: [{ from: [monitoring], ports: [tcp(parts.api.containerPort), tcp('metrics')] }],
      },
    );
  }

  /**
   * Lets the pods of `from` open TCP connections to the pods of `to` on `port` (default: the
   * target's `containerPort`, else its `port`): an egress policy on one side and an ingress
   * policy on the other, named `<from>-to-<to>-egress|ingress` after the construct ids.
   */
  allow(from: PodPeer, to: PodEndpoint, options: { port?: number } = {}): void {
    const port = options.port ?? to.containerPort ?? to.port;
    if (port === undefined) {
      throw new InfraUsageError(`allow(${from.node.id}, ${to.node.id}): ${to.node.id} has no port: pass { port: <the pods' port> }`);
    }
    const name = dnsName(`${from.node.id}-to-${to.node.id}`);
    const fromPods = { matchLabels: selectorOf(from) };
    const toPods = { matchLabels: selectorOf(to) };
    this.addPolicy(`${name}-egress`, fromPods, { egress: [{ to: [{ podSelector: toPods }], ports: [tcp(port)] }] });
    this.addPolicy(`${name}-ingress`, toPods, { ingress: [{ from: [{ podSelector: fromPods }], ports: [tcp(port)] }] });
  }

  private addPolicy(name: string, podSelector: LabelSelector, rules: NetworkPolicyRules): void {
    const { props } = this;
    new ApiObject(
      this,
      name,
      networkPolicy({ name, namespace: props.namespace, labels: labelsFor(props, name, 'network-policy') }, podSelector, rules),
    );
  }
}

function selectorOf(peer: PodPeer): Labels {
  return 'selector' in peer ? peer.selector : peer.matchLabels;
}

function dnsName(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50);
}
