import type { KubeObject } from '../scope.js';
import type { Json } from './issue.js';
import type { RuleFinding } from './rules.js';

/**
 * Routes that would send traffic nowhere, which the CRD schemas cannot see: an HTTPRoute
 * backend Service (or its port) that is not among the objects, an Istio route to a subset no
 * DestinationRule defines. A reference is checked only where the objects define that kind of
 * target (Services in the backend's namespace, a DestinationRule for the host): a route
 * validated on its own, or one to a Service elsewhere, may well point at objects in the cluster.
 * A subset that selects no pods is fine: the DestinationRule names the canary subset before a
 * canary runs, so turning one on changes no subset.
 */
export function routeRules(objects: KubeObject[]): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const nsOf = (object: KubeObject): string => object.metadata?.namespace ?? '';
  const namespaces = new Set(objects.filter((o) => o.kind === 'Service').map(nsOf));
  const service = (namespace: string, name: string) =>
    objects.find((o) => o.kind === 'Service' && nsOf(o) === namespace && o.metadata?.name === name) as Json | undefined;

  objects.forEach((object, index) => {
    if (object.kind !== 'HTTPRoute') return;
    ((((object as Json).spec?.rules as Json[] | undefined) ?? []) as Json[]).forEach((rule, r) => {
      ((rule.backendRefs as Json[] | undefined) ?? []).forEach((ref, b) => {
        if ((ref.kind ?? 'Service') !== 'Service' || (ref.group ?? '') !== '') return;
        const namespace = (ref.namespace as string | undefined) ?? nsOf(object);
        if (!namespaces.has(namespace)) return;
        const path = `spec.rules[${r}].backendRefs[${b}]`;
        const target = service(namespace, ref.name);
        if (!target) {
          findings.push({
            index,
            rule: 'route-backend',
            path: `${path}.name`,
            message: `Service "${ref.name}" does not exist in namespace ${namespace}`,
            fix: 'point the backend at a Service defined with it',
          });
        } else if (!((target.spec?.ports as Json[] | undefined) ?? []).some((p) => p.port === ref.port)) {
          findings.push({
            index,
            rule: 'route-backend',
            path: `${path}.port`,
            message: `Service "${ref.name}" has no port ${ref.port}`,
            fix: `use one of its ports: ${((target.spec?.ports as Json[] | undefined) ?? []).map((p) => p.port).join(', ')}`,
          });
        }
      });
    });
  });

  const rules = objects.filter((o) => o.kind === 'DestinationRule') as Json[];
  const subsetsOf = (host: string) =>
    rules.filter((r) => r.spec?.host === host).flatMap((r) => ((r.spec?.subsets as Json[] | undefined) ?? []).map((s) => s.name as string));
  objects.forEach((object, index) => {
    if (object.kind !== 'VirtualService') return;
    ((((object as Json).spec?.http as Json[] | undefined) ?? []) as Json[]).forEach((http, h) => {
      ((http.route as Json[] | undefined) ?? []).forEach((route, d) => {
        const { host, subset } = (route.destination ?? {}) as { host?: string; subset?: string };
        if (!host || !subset || !rules.some((r) => r.spec?.host === host) || subsetsOf(host).includes(subset)) return;
        findings.push({
          index,
          rule: 'route-backend',
          path: `spec.http[${h}].route[${d}].destination.subset`,
          message: `no DestinationRule for host ${host} defines subset "${subset}"`,
          fix: 'add the subset to the DestinationRule of that host, or route to the host without a subset',
        });
      });
    });
  });

  return findings;
}
