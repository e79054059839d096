import type { KubeObject } from '../scope.js';
import type { Json } from './issue.js';
import type { RuleFinding } from './rules.js';
import { dns1123Label, parseQuantity, portName, portNumber } from './syntax.js';
import { podSpecPath, podTemplateOf } from './workloads.js';

type Add = (rule: string, path: string, message: string, fix: string) => void;

/**
 * Value rules of a pod spec that the API server enforces and the schemas do not: container
 * names, ports, requests within limits, probe settings, volume mounts. Each one would
 * otherwise pass `qctl synth` and fail `kubectl apply` or `qctl up` minutes later.
 */
export function podSpecRules(objects: KubeObject[]): RuleFinding[] {
  const findings: RuleFinding[] = [];
  objects.forEach((object, index) => {
    const template = podTemplateOf(object);
    if (!template) return;
    const add: Add = (rule, path, message, fix) => findings.push({ index, rule, path, message, fix });
    const spec = template.spec as Json;
    const base = podSpecPath(template);
    const volumes = new Set<string>([
      ...((spec.volumes as Json[] | undefined) ?? []).map((v) => String(v.name)),
      // A StatefulSet's volumeClaimTemplates are volumes of its pods too.
      ...(((object as Json).spec?.volumeClaimTemplates as Json[] | undefined) ?? []).map((t) => String(t.metadata?.name)),
    ]);
    checkVolumeNames(spec, base, add);
    const names = new Map<string, string>();
    for (const field of ['initContainers', 'containers']) {
      ((spec[field] as Json[] | undefined) ?? []).forEach((container, i) => {
        const path = `${base}${field}[${i}]`;
        const label = `container "${container.name ?? i}"`;
        if (typeof container.name === 'string') {
          const problem = dns1123Label(container.name);
          if (problem)
            add('container-name', `${path}.name`, `container name "${container.name}" ${problem}`, 'rename the container, e.g. quote-api');
          if (names.has(container.name))
            add(
              'container-name',
              `${path}.name`,
              `container name "${container.name}" is also used by ${names.get(container.name)}`,
              'give every container and init container of the pod its own name',
            );
          else names.set(container.name, path);
        }
        checkContainerPorts(container, path, label, add);
        checkResources(container, path, label, add);
        for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
          if (container[probe]) checkProbe(container[probe] as Json, probe, `${path}.${probe}`, label, add);
        }
        ((container.volumeMounts as Json[] | undefined) ?? []).forEach((mount, m) => {
          if (!volumes.has(String(mount.name))) {
            add(
              'volume-mount',
              `${path}.volumeMounts[${m}].name`,
              `${label} mounts volume "${mount.name}", which the pod does not define`,
              `add a volume named "${mount.name}" to ${base}volumes (or a volumeClaimTemplate), or mount one of: ${[...volumes].join(', ') || '(none)'}`,
            );
          }
        });
      });
    }
  });
  return findings;
}

function checkVolumeNames(spec: Json, base: string, add: Add): void {
  const seen = new Set<string>();
  ((spec.volumes as Json[] | undefined) ?? []).forEach((volume, v) => {
    const name = String(volume.name);
    const problem = dns1123Label(name);
    if (problem)
      add(
        'volume-name',
        `${base}volumes[${v}].name`,
        `volume name "${name}" ${problem}`,
        'rename the volume (and its volumeMounts), e.g. tmp',
      );
    if (seen.has(name))
      add('volume-name', `${base}volumes[${v}].name`, `volume name "${name}" is used twice`, 'give every volume of the pod its own name');
    seen.add(name);
  });
}

function checkContainerPorts(container: Json, path: string, label: string, add: Add): void {
  const names = new Set<string>();
  ((container.ports as Json[] | undefined) ?? []).forEach((port, p) => {
    const at = `${path}.ports[${p}]`;
    for (const field of ['containerPort', 'hostPort']) {
      const problem = port[field] === undefined ? null : portNumber(port[field]);
      if (problem) add('port-number', `${at}.${field}`, `${label} ${field} ${problem}`, `use a ${field} between 1 and 65535`);
    }
    if (typeof port.name !== 'string') return;
    const problem = portName(port.name);
    if (problem)
      add(
        'port-name',
        `${at}.name`,
        `${label} port name "${port.name}" ${problem}`,
        'use a short lowercase name such as http or metrics (at most 15 characters)',
      );
    if (names.has(port.name))
      add('port-name', `${at}.name`, `${label} has two ports named "${port.name}"`, 'give every port of the container its own name');
    names.add(port.name);
  });
}

function checkResources(container: Json, path: string, label: string, add: Add): void {
  const requests = (container.resources?.requests ?? {}) as Json;
  const limits = (container.resources?.limits ?? {}) as Json;
  for (const [section, values] of [
    ['requests', requests],
    ['limits', limits],
  ] as const) {
    for (const [resource, raw] of Object.entries(values)) {
      const amount = parseQuantity(raw);
      if (amount !== null && amount < 0) {
        add(
          'resource-values',
          `${path}.resources.${section}.${resource}`,
          `${label} ${section} ${resource} ${String(raw)} is negative`,
          `use a ${resource} of 0 or more, e.g. 250m or 256Mi`,
        );
      }
    }
  }
  for (const [resource, rawRequest] of Object.entries(requests)) {
    if (limits[resource] === undefined) continue;
    const request = parseQuantity(rawRequest);
    const limit = parseQuantity(limits[resource]);
    if (request === null || limit === null || request <= limit) continue;
    add(
      'requests-within-limits',
      `${path}.resources.requests.${resource}`,
      `${label} requests ${resource} ${String(rawRequest)}, above its limit ${String(limits[resource])} (the API server rejects this)`,
      `lower resources.requests.${resource} to at most ${String(limits[resource])}, or raise resources.limits.${resource}`,
    );
  }
}

const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

function checkProbe(probe: Json, kind: string, path: string, label: string, add: Add): void {
  const handlers = HANDLERS.filter((h) => probe[h] !== undefined);
  if (handlers.length !== 1) {
    const message = handlers.length === 0 ? 'has no handler' : `has ${handlers.length} handlers (${handlers.join(', ')})`;
    add('probe-values', path, `${label} ${kind} ${message}`, 'give the probe exactly one of exec, httpGet, tcpSocket or grpc');
  }
  for (const field of ['periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold']) {
    if (typeof probe[field] === 'number' && probe[field] < 1) {
      add(
        'probe-values',
        `${path}.${field}`,
        `${label} ${kind} ${field} is ${probe[field]}`,
        `set ${field} to 1 or more (or leave it out for the default)`,
      );
    }
  }
  if (typeof probe.initialDelaySeconds === 'number' && probe.initialDelaySeconds < 0) {
    add(
      'probe-values',
      `${path}.initialDelaySeconds`,
      `${label} ${kind} initialDelaySeconds is negative`,
      'set initialDelaySeconds to 0 or more',
    );
  }
  if (kind !== 'readinessProbe' && typeof probe.successThreshold === 'number' && probe.successThreshold > 1) {
    add(
      'probe-values',
      `${path}.successThreshold`,
      `${label} ${kind} successThreshold is ${probe.successThreshold}; only readiness probes may need more than one success`,
      'set successThreshold to 1 or leave it out',
    );
  }
  for (const handler of handlers) {
    const problem = portNumber(probe[handler]?.port);
    if (problem)
      add('port-number', `${path}.${handler}.port`, `${label} ${kind} port ${problem}`, 'probe a container port (1-65535) or use its name');
  }
}
