import type { KubeObject } from '../scope.js';
import type { Json, RawIssue } from './issue.js';
import { mapSelectorMatches, podTemplateOf, selectorMatches, type ContainerLike, type PodTemplateRef } from './workloads.js';

export interface RuleFinding extends RawIssue {
  index: number;
}

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'IngressClass',
  'CustomResourceDefinition',
  'PriorityClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'Node',
  'CSIDriver',
  'RuntimeClass',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionPolicyBinding',
]);

/**
 * Rules that look across objects or beyond the schema. Each returns findings with the index
 * of the object they belong to.
 */
export function crossObjectRules(objects: KubeObject[]): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const add = (index: number, rule: string, path: string, message: string, fix: string): void => {
    findings.push({ index, rule, path, message, fix });
  };
  const nsOf = (object: KubeObject): string => object.metadata?.namespace ?? '';
  const templates = objects
    .map((object, index) => ({ index, template: podTemplateOf(object) }))
    .filter((entry): entry is { index: number; template: PodTemplateRef } => entry.template !== null);
  const sameNamespace = (namespace: string) => templates.filter(({ template }) => nsOf(template.object) === namespace);
  const find = (kind: string, namespace: string, name: string) =>
    objects.findIndex((o) => o.kind === kind && nsOf(o) === namespace && o.metadata?.name === name);

  // Identity: names, explicit namespaces, duplicates.
  const seen = new Map<string, number>();
  objects.forEach((object, index) => {
    if (!object?.metadata?.name) {
      add(
        index,
        'metadata-name',
        'metadata.name',
        'the object has no name',
        'set metadata.name (qctl applies objects by name; generateName is not supported)',
      );
      return;
    }
    if (!CLUSTER_SCOPED.has(object.kind) && !object.metadata.namespace) {
      add(
        index,
        'explicit-namespace',
        'metadata.namespace',
        "namespaced object without metadata.namespace would land in the kube context's namespace",
        'set metadata.namespace explicitly, e.g. quotes-prod',
      );
    }
    const key = `${object.apiVersion}/${object.kind}/${nsOf(object)}/${object.metadata.name}`;
    if (seen.has(key))
      add(index, 'duplicate-object', 'metadata.name', `duplicate of object #${seen.get(key)! + 1}`, 'give each object a unique name');
    else seen.set(key, index);
  });

  // Containers: resources, probes, pinned images.
  for (const { index, template } of templates) {
    const groups: Array<[string, ContainerLike[] | undefined]> = [
      ['containers', template.spec.containers],
      ['initContainers', template.spec.initContainers],
    ];
    for (const [field, containers] of groups) {
      (containers ?? []).forEach((container, i) => {
        const base = `${template.path ? `${template.path}.` : ''}spec.${field}[${i}]`;
        const label = `container "${container.name ?? i}"`;
        for (const section of ['requests', 'limits'] as const) {
          const values = container.resources?.[section] ?? {};
          const missing = ['cpu', 'memory'].filter((r) => values[r] === undefined);
          if (missing.length > 0) {
            add(
              index,
              'container-resources',
              `${base}.resources.${section}`,
              `${label} has no ${section} for ${missing.join(' and ')}`,
              `set resources.${section}.${missing.join(' and resources.' + section + '.')} (e.g. cpu: 100m, memory: 128Mi)`,
            );
          }
        }
        if (!template.isJob && field === 'containers') {
          for (const probe of ['readinessProbe', 'livenessProbe'] as const) {
            if (!container[probe])
              add(
                index,
                'container-probes',
                `${base}.${probe}`,
                `${label} has no ${probe}`,
                `add a ${probe} (httpGet on a health path, tcpSocket or exec)`,
              );
          }
        }
        const image = container.image ?? '';
        const problem = imageProblem(image);
        if (problem)
          add(
            index,
            'image-pinned',
            `${base}.image`,
            `${label} image "${image}" ${problem}`,
            'pin the image to a tag other than latest or to a digest, e.g. quote-api:git-3f2a1bc',
          );
      });
    }
  }

  // Services: selectors match pods; named target ports exist on the container.
  objects.forEach((object, index) => {
    if (object.kind !== 'Service') return;
    const spec = (object as Json).spec as Json | undefined;
    const selector = spec?.selector as Record<string, string> | undefined;
    if (!selector || Object.keys(selector).length === 0 || spec?.type === 'ExternalName') return;
    const pods = sameNamespace(nsOf(object)).filter(({ template }) => !template.isJob && mapSelectorMatches(selector, template.labels));
    if (pods.length === 0) {
      add(
        index,
        'service-selector',
        'spec.selector',
        `selector ${JSON.stringify(selector)} matches no pod template in namespace ${nsOf(object) || '(none)'}`,
        'make spec.selector a subset of the pod template labels of the workload it serves',
      );
      return;
    }
    ((spec?.ports as Json[] | undefined) ?? []).forEach((port, i) => {
      const target = port.targetPort ?? port.port;
      const containers = pods.flatMap(({ template }) => template.spec.containers ?? []);
      const found = containers.some((c) =>
        (c.ports ?? []).some((p) => (typeof target === 'string' ? p.name === target : p.containerPort === target)),
      );
      if (!found) {
        add(
          index,
          'service-target-port',
          `spec.ports[${i}].targetPort`,
          `target port ${JSON.stringify(target)} is not a container port of the selected pods`,
          typeof target === 'string'
            ? `name a container port "${target}" in the workload, or use one of its port names`
            : 'use a containerPort (or its name) of the selected pods',
        );
      }
    });
  });

  // Ingress backends name existing Services and ports.
  objects.forEach((object, index) => {
    if (object.kind !== 'Ingress') return;
    const spec = ((object as Json).spec ?? {}) as Json;
    const backends: Array<[string, Json | undefined]> = [['spec.defaultBackend', spec.defaultBackend]];
    ((spec.rules as Json[] | undefined) ?? []).forEach((rule, r) =>
      ((rule.http?.paths as Json[] | undefined) ?? []).forEach((p, i) =>
        backends.push([`spec.rules[${r}].http.paths[${i}].backend`, p.backend]),
      ),
    );
    for (const [path, backend] of backends) {
      const service = backend?.service as Json | undefined;
      if (!service) continue;
      const target = find('Service', nsOf(object), service.name);
      if (target < 0) {
        add(
          index,
          'ingress-backend',
          `${path}.service.name`,
          `Service "${service.name}" does not exist in namespace ${nsOf(object)}`,
          'point the backend at a Service defined in the same namespace',
        );
        continue;
      }
      const ports = ((objects[target] as Json).spec?.ports as Json[] | undefined) ?? [];
      const ok =
        service.port?.name !== undefined
          ? ports.some((p) => p.name === service.port.name)
          : ports.some((p) => p.port === service.port?.number);
      if (!ok) {
        add(
          index,
          'ingress-backend',
          `${path}.service.port`,
          `Service "${service.name}" has no port ${JSON.stringify(service.port)}`,
          `use one of its ports: ${ports.map((p) => p.name ?? p.port).join(', ')}`,
        );
      }
    }
  });

  // HPA targets exist and do not pin replicas.
  objects.forEach((object, index) => {
    if (object.kind !== 'HorizontalPodAutoscaler') return;
    const ref = (object as Json).spec?.scaleTargetRef as Json | undefined;
    if (!ref) return;
    const target = find(ref.kind, nsOf(object), ref.name);
    if (target < 0) {
      add(
        index,
        'hpa-target',
        'spec.scaleTargetRef',
        `scale target ${ref.kind} "${ref.name}" does not exist in namespace ${nsOf(object)}`,
        'point scaleTargetRef at a Deployment or StatefulSet defined in the same namespace',
      );
    } else if ((objects[target] as Json).spec?.replicas !== undefined) {
      add(
        index,
        'hpa-target',
        'spec.scaleTargetRef',
        `target ${ref.kind} "${ref.name}" sets spec.replicas, so every apply resets what the autoscaler chose`,
        `remove spec.replicas from ${ref.kind} ${ref.name} (the HPA's minReplicas is the floor)`,
      );
    }
  });

  // PDB selectors match pods.
  objects.forEach((object, index) => {
    if (object.kind !== 'PodDisruptionBudget') return;
    const selector = (object as Json).spec?.selector;
    if (!sameNamespace(nsOf(object)).some(({ template }) => !template.isJob && selectorMatches(selector, template.labels))) {
      add(
        index,
        'pdb-selector',
        'spec.selector',
        'selector matches no pod template in the namespace',
        'make spec.selector match the labels of the workload it protects',
      );
    }
  });

  // Secrets only as references.
  objects.forEach((object, index) => {
    if (object.kind !== 'Secret') return;
    for (const field of ['data', 'stringData']) {
      const value = (object as Json)[field];
      if (value && typeof value === 'object' && Object.keys(value).length > 0) {
        add(
          index,
          'secret-plaintext',
          field,
          `Secret carries ${Object.keys(value).length} value(s) in plain text (base64 is not encryption)`,
          'do not write secret data into manifests: reference the Secret by name and create it with `qctl secrets` / `qctl up`',
        );
      }
    }
  });

  // Every pod is covered by a NetworkPolicy in its namespace.
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const { index, template } of templates) {
    const namespace = nsOf(template.object);
    const covered = policies.some((p) => nsOf(p) === namespace && selectorMatches((p as Json).spec?.podSelector, template.labels));
    if (!covered) {
      add(
        index,
        'network-policy-coverage',
        `${template.path ? `${template.path}.` : ''}metadata.labels`,
        `no NetworkPolicy in namespace ${namespace || '(none)'} selects these pods`,
        'add a default-deny NetworkPolicy (podSelector: {}) and allow rules for the paths this workload needs',
      );
    }
  }
  return findings;
}

function imageProblem(image: string): string | null {
  if (!image) return 'is empty';
  if (image.includes('@sha256:')) return null;
  const last = image.split('/').pop()!;
  if (!last.includes(':')) return 'has no tag (means latest)';
  if (last.endsWith(':latest')) return 'uses the latest tag';
  return null;
}
