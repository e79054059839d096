import type { KubeObject } from '../scope.js';
import type { Json } from './issue.js';
import type { RuleFinding } from './rules.js';
import { isBuiltInGroup } from './schema.js';
import {
  dns1035Label,
  dns1123Label,
  dns1123Subdomain,
  labelValue,
  pathSegmentName,
  portName,
  portNumber,
  qualifiedName,
} from './syntax.js';
import { podTemplateOf, selectorMatches, type LabelSelectorLike } from './workloads.js';

type Add = (index: number, rule: string, path: string, message: string, fix: string) => void;

const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
const LABEL_NAMED_KINDS = new Set(['Namespace']);
const SCALED_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

/**
 * Object-level value rules the API server enforces (or that make an object useless) and the
 * schemas do not carry: names, labels, selectors that match their template, Service ports,
 * HPA bounds, PDBs that can never allow an eviction, rollout strategies, policy ports, Ingress
 * paths and hosts.
 */
export function objectValueRules(objects: KubeObject[]): RuleFinding[] {
  const findings: RuleFinding[] = [];
  const add: Add = (index, rule, path, message, fix) => findings.push({ index, rule, path, message, fix });
  objects.forEach((object, index) => {
    checkName(object, index, add);
    checkMetadata(object.metadata as Json | undefined, 'metadata', index, add);
    const template = podTemplateOf(object);
    if (template?.path)
      checkMetadata(
        (object as Json).spec?.template?.metadata ?? (object as Json).spec?.jobTemplate?.spec?.template?.metadata,
        `${template.path}.metadata`,
        index,
        add,
      );
    const spec = ((object as Json).spec ?? {}) as Json;
    switch (object.kind) {
      case 'Deployment':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'ReplicaSet':
        checkWorkloadSelector(spec, index, add);
        if (object.kind === 'Deployment') checkRollingUpdate(spec, index, add);
        break;
      case 'Service':
        checkServicePorts(spec, index, add);
        checkSelectorSyntax(spec.selector, 'spec.selector', index, add);
        break;
      case 'HorizontalPodAutoscaler':
        checkHpa(spec, index, add);
        break;
      case 'PodDisruptionBudget':
        checkPdb(objects, object, index, add);
        break;
      case 'NetworkPolicy':
        checkPolicyPorts(spec, index, add);
        break;
      case 'Ingress':
        checkIngress(spec, index, add);
        break;
    }
  });
  return findings;
}

function checkName(object: KubeObject, index: number, add: Add): void {
  const name = object.metadata?.name;
  if (typeof name !== 'string' || !isBuiltInGroup(String(object.apiVersion ?? ''))) return;
  const [problem, want] = RBAC_KINDS.has(object.kind)
    ? [pathSegmentName(name), 'a name without "/" or "%"']
    : object.kind === 'Service'
      ? [dns1035Label(name), 'a DNS label starting with a letter, e.g. quote-api']
      : LABEL_NAMED_KINDS.has(object.kind)
        ? [dns1123Label(name), 'a DNS label, e.g. quotes-prod']
        : [dns1123Subdomain(name), 'a lowercase DNS name, e.g. quote-api-config'];
  if (problem) add(index, 'object-name', 'metadata.name', `${object.kind} name "${name}" ${problem}`, `use ${want}`);
  const namespace = object.metadata?.namespace;
  const nsProblem = typeof namespace === 'string' ? dns1123Label(namespace) : null;
  if (nsProblem)
    add(index, 'object-name', 'metadata.namespace', `namespace "${namespace}" ${nsProblem}`, 'use a DNS label, e.g. quotes-prod');
}

function checkMetadata(metadata: Json | undefined, path: string, index: number, add: Add): void {
  for (const [key, value] of Object.entries((metadata?.labels ?? {}) as Json)) {
    const keyProblem = qualifiedName(key);
    if (keyProblem)
      add(index, 'label-syntax', `${path}.labels`, `label key "${key}" ${keyProblem}`, 'use a key such as app.kubernetes.io/name or tier');
    const valueProblem = typeof value === 'string' ? labelValue(value) : null;
    if (valueProblem)
      add(
        index,
        'label-syntax',
        `${path}.labels["${key}"]`,
        `label value "${value}" ${valueProblem}`,
        'shorten or simplify the value (put free text in an annotation instead)',
      );
  }
  for (const key of Object.keys((metadata?.annotations ?? {}) as Json)) {
    const keyProblem = qualifiedName(key);
    if (keyProblem)
      add(index, 'label-syntax', `${path}.annotations`, `annotation key "${key}" ${keyProblem}`, 'use a key such as example.com/note');
  }
}

function checkSelectorSyntax(labels: Json | undefined, path: string, index: number, add: Add): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    const problem = qualifiedName(key) ?? (typeof value === 'string' ? labelValue(value) : null);
    if (problem)
      add(
        index,
        'label-syntax',
        `${path}["${key}"]`,
        `selector ${key}=${String(value)}: ${problem}`,
        'select on valid label keys and values',
      );
  }
}

/** apps/v1 workloads must select their own pods (the API server refuses the object otherwise). */
function checkWorkloadSelector(spec: Json, index: number, add: Add): void {
  const selector = spec.selector as LabelSelectorLike | undefined;
  if (!selector) return; // the schema reports the missing field
  checkSelectorSyntax(selector.matchLabels, 'spec.selector.matchLabels', index, add);
  const labels = (spec.template?.metadata?.labels ?? {}) as Record<string, string>;
  if (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0) {
    add(
      index,
      'workload-selector',
      'spec.selector',
      'the selector is empty (it would select every pod in the namespace)',
      'select on the labels of spec.template.metadata.labels, e.g. app.kubernetes.io/name',
    );
  } else if (!selectorMatches(selector, labels)) {
    add(
      index,
      'workload-selector',
      'spec.selector',
      'the selector does not match the pod template labels (the API server rejects this)',
      'make spec.selector a subset of spec.template.metadata.labels',
    );
  }
}

function checkRollingUpdate(spec: Json, index: number, add: Add): void {
  const rolling = spec.strategy?.rollingUpdate as Json | undefined;
  if (!rolling) return;
  const isZero = (v: unknown) => v === 0 || v === '0%';
  if (isZero(rolling.maxSurge) && isZero(rolling.maxUnavailable)) {
    add(
      index,
      'rollout-strategy',
      'spec.strategy.rollingUpdate',
      'maxSurge and maxUnavailable are both 0, so a rollout could never replace a pod',
      'set maxSurge: 1 (or maxUnavailable: 1)',
    );
  }
}

function checkServicePorts(spec: Json, index: number, add: Add): void {
  const ports = (spec.ports as Json[] | undefined) ?? [];
  const names = new Set<string>();
  const endpoints = new Set<string>();
  ports.forEach((port, i) => {
    const at = `spec.ports[${i}]`;
    for (const field of ['port', 'nodePort']) {
      const problem = port[field] === undefined ? null : portNumber(port[field]);
      if (problem) add(index, 'port-number', `${at}.${field}`, `${field} ${problem}`, `use a ${field} between 1 and 65535`);
    }
    const targetProblem = typeof port.targetPort === 'string' ? portName(port.targetPort) : portNumber(port.targetPort);
    if (targetProblem)
      add(
        index,
        'port-number',
        `${at}.targetPort`,
        `targetPort ${JSON.stringify(port.targetPort)}: ${targetProblem}`,
        'use a container port number (1-65535) or a container port name',
      );
    if (port.name === undefined) {
      if (ports.length > 1)
        add(
          index,
          'port-name',
          `${at}.name`,
          'a Service with more than one port must name each of them',
          'add a name, e.g. http or metrics',
        );
    } else {
      const problem = dns1123Label(String(port.name));
      if (problem) add(index, 'port-name', `${at}.name`, `port name "${port.name}" ${problem}`, 'use a lowercase name such as http');
      if (names.has(String(port.name)))
        add(index, 'port-name', `${at}.name`, `two ports are named "${port.name}"`, 'give every port its own name');
      names.add(String(port.name));
    }
    const endpoint = `${port.port}/${port.protocol ?? 'TCP'}`;
    if (endpoints.has(endpoint))
      add(index, 'port-number', `${at}.port`, `port ${endpoint} is listed twice`, 'list each port and protocol once');
    endpoints.add(endpoint);
  });
}

function checkHpa(spec: Json, index: number, add: Add): void {
  const min = spec.minReplicas;
  const max = spec.maxReplicas;
  if (typeof min === 'number' && min < 1) {
    add(
      index,
      'hpa-replicas',
      'spec.minReplicas',
      `minReplicas is ${min}`,
      'set minReplicas to 1 or more (scaling to zero needs the HPAScaleToZero feature gate)',
    );
  }
  if (typeof max === 'number' && max < Math.max(1, typeof min === 'number' ? min : 1)) {
    add(
      index,
      'hpa-replicas',
      'spec.maxReplicas',
      `maxReplicas ${max} is below minReplicas ${typeof min === 'number' ? min : 1}`,
      'make maxReplicas at least minReplicas (and at least 1)',
    );
  }
}

/**
 * A PDB that allows no eviction at all (minAvailable of every replica, or maxUnavailable 0)
 * is accepted by the API server but makes every node drain wait forever.
 */
function checkPdb(objects: KubeObject[], pdb: KubeObject, index: number, add: Add): void {
  const spec = ((pdb as Json).spec ?? {}) as Json;
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    add(
      index,
      'pdb-values',
      'spec',
      'minAvailable and maxUnavailable are both set (the API server rejects this)',
      'keep only one of them, e.g. maxUnavailable: 1',
    );
    return;
  }
  for (const field of ['minAvailable', 'maxUnavailable']) {
    const value = spec[field];
    if (typeof value === 'string' && !/^(100|[1-9]?[0-9])%$/.test(value)) {
      add(
        index,
        'pdb-values',
        `spec.${field}`,
        `${field} "${value}" is neither a number nor a percentage from 0% to 100%`,
        `use a number or a percentage, e.g. ${field}: 1 or "50%"`,
      );
      return;
    }
  }
  if (spec.maxUnavailable === 0 || spec.maxUnavailable === '0%') {
    add(
      index,
      'pdb-values',
      'spec.maxUnavailable',
      'maxUnavailable is 0: no pod may ever be evicted, so draining its nodes waits forever',
      'allow at least one disruption, e.g. maxUnavailable: 1',
    );
    return;
  }
  const floor = replicaFloor(objects, pdb);
  if (floor === undefined) return;
  const min = spec.minAvailable;
  const blocks = typeof min === 'number' ? min >= floor.replicas : min === '100%';
  if (blocks) {
    add(
      index,
      'pdb-values',
      'spec.minAvailable',
      `minAvailable ${min} leaves no pod of the ${floor.replicas} replica(s) of ${floor.what} evictable, so draining its nodes waits forever`,
      `lower minAvailable below ${floor.replicas} or use maxUnavailable: 1`,
    );
  }
}

/** The fewest replicas the workload a PDB protects may run: its HPA's minReplicas, else spec.replicas (default 1). */
function replicaFloor(objects: KubeObject[], pdb: KubeObject): { replicas: number; what: string } | undefined {
  const namespace = pdb.metadata?.namespace ?? '';
  const workload = objects.find((o) => {
    if (!SCALED_KINDS.has(o.kind) || (o.metadata?.namespace ?? '') !== namespace) return false;
    const template = podTemplateOf(o);
    return template !== null && selectorMatches((pdb as Json).spec?.selector, template.labels);
  });
  if (!workload) return undefined;
  const what = `${workload.kind} ${workload.metadata.name}`;
  const hpa = objects.find(
    (o) =>
      o.kind === 'HorizontalPodAutoscaler' &&
      (o.metadata?.namespace ?? '') === namespace &&
      (o as Json).spec?.scaleTargetRef?.kind === workload.kind &&
      (o as Json).spec?.scaleTargetRef?.name === workload.metadata.name,
  );
  if (hpa) return { replicas: ((hpa as Json).spec?.minReplicas as number | undefined) ?? 1, what };
  return { replicas: ((workload as Json).spec?.replicas as number | undefined) ?? 1, what };
}

function checkPolicyPorts(spec: Json, index: number, add: Add): void {
  for (const direction of ['ingress', 'egress']) {
    ((spec[direction] as Json[] | undefined) ?? []).forEach((rule, r) => {
      ((rule.ports as Json[] | undefined) ?? []).forEach((port, p) => {
        const at = `spec.${direction}[${r}].ports[${p}]`;
        const problem = typeof port.port === 'number' ? portNumber(port.port) : null;
        if (problem) add(index, 'port-number', `${at}.port`, `port ${problem}`, 'use a port between 1 and 65535 or a named port');
        if (
          port.endPort !== undefined &&
          (typeof port.port !== 'number' || portNumber(port.endPort) !== null || port.endPort < port.port)
        ) {
          add(
            index,
            'port-number',
            `${at}.endPort`,
            `endPort ${port.endPort} needs a numeric port at or below it (port is ${JSON.stringify(port.port)})`,
            'make endPort a port number at least as high as port',
          );
        }
      });
    });
  }
}

function checkIngress(spec: Json, index: number, add: Add): void {
  ((spec.rules as Json[] | undefined) ?? []).forEach((rule, r) => {
    if (typeof rule.host === 'string') {
      const host = rule.host.startsWith('*.') ? rule.host.slice(2) : rule.host;
      const problem = /^[0-9.]+$/.test(host) ? 'is an IP address' : dns1123Subdomain(host);
      if (problem)
        add(
          index,
          'ingress-values',
          `spec.rules[${r}].host`,
          `host "${rule.host}" ${problem}`,
          'use a DNS name such as quotes.example.com (for an IP, try quotes.127.0.0.1.nip.io)',
        );
    }
    ((rule.http?.paths as Json[] | undefined) ?? []).forEach((path: Json, p: number) => {
      if (path.pathType !== 'ImplementationSpecific' && typeof path.path === 'string' && !path.path.startsWith('/')) {
        add(
          index,
          'ingress-values',
          `spec.rules[${r}].http.paths[${p}].path`,
          `path "${path.path}" does not start with "/"`,
          `use "/${path.path}"`,
        );
      }
    });
  });
}
