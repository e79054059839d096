import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import type { IStatefulSet } from 'kubernetes-models/apps/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { INetworkPolicy, INetworkPolicyEgressRule, INetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPersistentVolumeClaim, IPodTemplateSpec, IService, IServicePort } from 'kubernetes-models/v1';
import type { Labels } from './labels.js';

/** Object shapes the app charts and the monitoring stack both write. */

type ObjectMeta = NonNullable<IService['metadata']>;
export type LabelSelector = NonNullable<INetworkPolicy['spec']>['podSelector'];
export interface NetworkPolicyRules {
  ingress?: INetworkPolicyIngressRule[];
  egress?: INetworkPolicyEgressRule[];
}

/** A TCP Service port that targets the container port of the same name. */
export function servicePort(name: string, port: number): IServicePort {
  return { name, port, targetPort: name, protocol: 'TCP' };
}

/** A PDB that lets voluntary disruptions (drains, upgrades) take one of the pods matching `selector` at a time. */
export function oneAtATimeDisruptionBudget(metadata: ObjectMeta, selector: Labels): IPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata,
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}

/** A ClusterIP Service in front of the pods matching `selector`. */
export function clusterIpService(metadata: ObjectMeta, selector: Labels, ports: IServicePort[]): IService {
  return { apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'ClusterIP', selector, ports } };
}

/**
 * The two Services of a single-replica StatefulSet: `<name>-headless` (its `serviceName`, for
 * stable pod DNS) and the ClusterIP Service `<name>` clients use. Returns the headless name and the client Service.
 */
export function addStatefulSetServices(
  chart: Construct,
  metadata: ObjectMeta & { name: string },
  selector: Labels,
  ports: IServicePort[],
): { headlessName: string; service: ApiObject } {
  const headlessName = `${metadata.name}-headless`;
  const headless: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { ...metadata, name: headlessName },
    spec: { clusterIP: 'None', selector, ports },
  };
  new ApiObject(chart, 'headless', headless);
  const service = new ApiObject(chart, 'service', clusterIpService(metadata, selector, ports));
  return { headlessName, service };
}

/** A one-replica StatefulSet whose claims outlive it: `qctl down` keeps PVCs unless asked. */
export function singleReplicaStatefulSet(
  metadata: ObjectMeta,
  selector: Labels,
  pods: { serviceName: string; template: IPodTemplateSpec; volumeClaimTemplates: IPersistentVolumeClaim[] },
): IStatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata,
    spec: {
      serviceName: pods.serviceName,
      replicas: 1,
      selector: { matchLabels: selector },
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      template: pods.template,
      volumeClaimTemplates: pods.volumeClaimTemplates,
    },
  };
}

/**
 * A NetworkPolicy for the pods matching `podSelector`; policyTypes follow the rule lists given
 * (an empty list denies that direction). Empty lists are not written out: the API server does
 * not store them, so sending them would make every apply a change.
 */
export function networkPolicy(metadata: ObjectMeta, podSelector: LabelSelector, rules: NetworkPolicyRules): INetworkPolicy {
  const policyTypes: Array<'Ingress' | 'Egress'> = [];
  if (rules.ingress) policyTypes.push('Ingress');
  if (rules.egress) policyTypes.push('Egress');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata,
    spec: {
      podSelector,
      policyTypes,
      ...(rules.ingress?.length ? { ingress: rules.ingress } : {}),
      ...(rules.egress?.length ? { egress: rules.egress } : {}),
    },
  };
}

/** A ReadWriteOnce claim; no storageClassName means the cluster's default class. */
export function readWriteOnceClaim(
  metadata: ObjectMeta,
  storageClassName: string | null | undefined,
  storage: string,
): IPersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata,
    spec: {
      accessModes: ['ReadWriteOnce'],
      ...(storageClassName ? { storageClassName } : {}),
      resources: { requests: { storage } },
    },
  };
}
