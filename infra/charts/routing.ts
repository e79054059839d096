import { ApiObject, type ApiObjectProps } from 'cdk8s';
import { Construct } from 'constructs';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS, type EnvironmentSettings } from '../environments.js';
import type { ManifestScope } from '../scope.js';
import { CANARY_NAME, STABLE_SERVICE_NAME, TRACK_LABEL } from './canary.js';
import { inClusterHost, labelsFor, stackPropsFrom, type StackProps } from './props.js';
import { API_COMPONENT, API_NAME, API_SERVICE_PORT } from './quote-api.js';

/**
 * Routes to the API beyond the Service: the Gateway API HTTPRoute (ingress.mode gateway, plus a
 * Gateway when asked) and Istio's VirtualService and DestinationRule (traffic.mesh istio). Both
 * split a canary's share by weight and carry the route's timeout (and Istio its retries).
 * Schemas: the CRDs in the repository (validate.ts checks these objects against them).
 */
export const GATEWAY_API_VERSION = 'gateway.networking.k8s.io/v1';
export const ISTIO_API_VERSION = 'networking.istio.io/v1';
/** Retried failures: ones where the request did not reach the app, or the proxy gave up; never a 5xx the app sent (POST is not idempotent). */
export const ISTIO_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,gateway-error';

type IngressSettings = EnvironmentSettings['ingress'];
type TrafficSettings = EnvironmentSettings['traffic'];

export interface RoutingProps extends StackProps {
  /** @default BASE_SETTINGS.ingress (mode ingress: no HTTPRoute) */
  ingress?: Pick<IngressSettings, 'mode' | 'host' | 'tlsSecretName' | 'gateway'>;
  /** @default BASE_SETTINGS.traffic (mesh none, timeout 30s, 2 retries of 10s) */
  traffic?: TrafficSettings;
  /** Percent of requests for the canary; null: no canary runs. @default null */
  canaryWeight?: number | null;
  /** The Services routed to (the stack passes its QuoteApi). @default the quote-api Services on port 80 */
  api?: RoutedServices;
}

/** What a route needs of the API: its Services' names (both tracks, and each track alone for weighted routes) and port. */
export interface RoutedServices {
  readonly serviceName: string;
  readonly stableServiceName: string;
  readonly canaryServiceName: string;
  readonly port: number;
}

const DEFAULT_ROUTED: RoutedServices = {
  serviceName: API_NAME,
  stableServiceName: STABLE_SERVICE_NAME,
  canaryServiceName: CANARY_NAME,
  port: API_SERVICE_PORT,
};

export function routingPropsFrom(ctx: SynthContext, api: RoutedServices): RoutingProps {
  const { ingress, traffic, canary } = ctx.env;
  return {
    ...stackPropsFrom(ctx),
    api,
    ingress: { mode: ingress.mode, host: ingress.host, tlsSecretName: ingress.tlsSecretName, gateway: ingress.gateway },
    traffic,
    canaryWeight: canary.tag === null ? null : canary.weight,
  };
}

/** The namespace of the Gateway an environment's HTTPRoute attaches to. */
export function gatewayNamespace(gateway: IngressSettings['gateway'], appNamespace: string): string {
  return gateway.namespace ?? appNamespace;
}

/** Routing of the API (in 40-quote-api.yaml, beside the API). See Routing. */
export function buildRouting(scope: ManifestScope, props: RoutingProps): Routing {
  return new Routing(scope.file('40-quote-api.yaml'), 'routing', props);
}

/**
 * The routes to `props.api` beyond its Service, by settings: `.httpRoute` (and `.gateway` when
 * asked) in gateway mode, `.virtualService` and `.destinationRule` with Istio (`.meshHost` is
 * the host they route). Each is undefined when its mode is off.
 */
export class Routing extends Construct {
  readonly gateway?: ApiObject;
  readonly httpRoute?: ApiObject;
  readonly destinationRule?: ApiObject;
  readonly virtualService?: ApiObject;
  readonly meshHost?: string;

  constructor(scope: Construct, id: string, props: RoutingProps) {
    super(scope, id);
    const api = props.api ?? DEFAULT_ROUTED;
    const port = api.port;
    const ingress = props.ingress ?? BASE_SETTINGS.ingress;
    const traffic = props.traffic ?? BASE_SETTINGS.traffic;
    const weight = props.canaryWeight ?? null;
    const labels = labelsFor(props, api.serviceName, API_COMPONENT);
    const metadata = { name: api.serviceName, namespace: props.namespace, labels };

    if (ingress.mode === 'gateway') {
      const gateway = ingress.gateway;
      const namespace = gatewayNamespace(gateway, props.namespace);
      if (gateway.create) this.gateway = new ApiObject(this, 'gateway', gatewayObject(props, ingress, namespace));
      const backends =
        weight === null
          ? [{ name: api.serviceName, port }]
          : [
              { name: api.stableServiceName, port, weight: 100 - weight },
              { name: api.canaryServiceName, port, weight },
            ];
      this.httpRoute = new ApiObject(this, 'httproute', {
        apiVersion: GATEWAY_API_VERSION,
        kind: 'HTTPRoute',
        metadata,
        spec: {
          parentRefs: [
            {
              group: 'gateway.networking.k8s.io',
              kind: 'Gateway',
              name: gateway.name,
              ...(namespace === props.namespace ? {} : { namespace }),
              ...(gateway.sectionName ? { sectionName: gateway.sectionName } : {}),
            },
          ],
          hostnames: [ingress.host],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: '/' } }],
              backendRefs: backends.map((b) => ({ group: '', kind: 'Service', ...b })),
              // The standard channel has no retries; a request timeout is an Extended feature most implementations support.
              timeouts: { request: traffic.timeout },
            },
          ],
        },
      });
    }

    if (traffic.mesh === 'istio') {
      const host = inClusterHost(api.serviceName, props.namespace);
      this.meshHost = host;
      const destination = (subset?: 'stable' | 'canary') => ({ host, ...(subset ? { subset } : {}), port: { number: port } });
      const route =
        weight === null
          ? [{ destination: destination() }]
          : [
              { destination: destination('stable'), weight: 100 - weight },
              { destination: destination('canary'), weight },
            ];
      this.destinationRule = new ApiObject(this, 'destinationrule', {
        apiVersion: ISTIO_API_VERSION,
        kind: 'DestinationRule',
        metadata,
        spec: {
          host,
          subsets: (['stable', 'canary'] as const).map((track) => ({ name: track, labels: { [TRACK_LABEL]: track } })),
        },
      });
      const { attempts, perTryTimeout } = traffic.retries;
      this.virtualService = new ApiObject(this, 'virtualservice', {
        apiVersion: ISTIO_API_VERSION,
        kind: 'VirtualService',
        metadata,
        spec: {
          hosts: [host],
          http: [
            {
              name: 'api',
              route,
              timeout: traffic.timeout,
              // attempts 0 is written out: Istio's default would otherwise retry twice.
              retries: attempts > 0 ? { attempts, perTryTimeout, retryOn: ISTIO_RETRY_ON } : { attempts: 0 },
            },
          ],
        },
      });
    }
  }
}

/** A Gateway for the API's host: HTTP on 80, and HTTPS on 443 when a TLS Secret is set (it must live in the Gateway's namespace). */
function gatewayObject(props: StackProps, ingress: NonNullable<RoutingProps['ingress']>, namespace: string): ApiObjectProps {
  const { gateway, host, tlsSecretName } = ingress;
  const allowedRoutes = {
    namespaces:
      namespace === props.namespace
        ? { from: 'Same' }
        : { from: 'Selector', selector: { matchLabels: { 'kubernetes.io/metadata.name': props.namespace } } },
  };
  const listeners: unknown[] = [{ name: 'http', protocol: 'HTTP', port: 80, hostname: host, allowedRoutes }];
  if (tlsSecretName) {
    listeners.push({
      name: 'https',
      protocol: 'HTTPS',
      port: 443,
      hostname: host,
      tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: tlsSecretName }] },
      allowedRoutes,
    });
  }
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: 'Gateway',
    metadata: { name: gateway.name, namespace, labels: labelsFor(props, gateway.name, 'gateway') },
    spec: { gatewayClassName: gateway.className!, listeners },
  };
}
