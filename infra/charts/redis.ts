import { ApiObject } from 'cdk8s';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS } from '../environments.js';
import { addStatefulSetServices, readWriteOnceClaim, servicePort, singleReplicaStatefulSet } from '../objects.js';
import { SECRETS } from '../secrets.js';
import type { ManifestScope } from '../scope.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { containerSecurityContext, podSecurityContext, resourceRequirements } from './pod.js';
import { labelsFor, selectorFor, stackPropsFrom, type ResourceSettings, type StackProps } from './props.js';

export const REDIS_NAME = 'redis';
export const REDIS_PORT = 6379;
/** uid/gid of the `redis` user in the official redis:alpine image. */
export const REDIS_UID = 999;

export interface RedisProps extends StackProps {
  /** Pinned Redis image. @default 'redis:7.4-alpine' */
  image?: string;
  /** Size of the AOF volume. @default '512Mi' */
  storageSize?: string;
  /** Storage class of the volume; null is the cluster's default class. @default null */
  storageClassName?: string | null;
  /** @default requests 50m/64Mi, limits 250m/128Mi */
  resources?: ResourceSettings;
}

/** The props of the cache, or undefined when `redis.enabled` is false (nothing is emitted). */
export function redisPropsFrom(ctx: SynthContext): RedisProps | undefined {
  const { redis } = ctx.env;
  if (!redis.enabled) return undefined;
  const { image, storageSize, resources } = redis;
  return { ...stackPropsFrom(ctx), image, storageSize, resources, storageClassName: ctx.storageClassFor(redis.storageClassName) };
}

/**
 * Redis as the API's cache: password from the generated Secret, AOF persistence on a PVC so
 * a restart does not empty the cache, read-only root filesystem (data on the PVC).
 */
export function buildRedis(scope: ManifestScope, props: RedisProps | undefined): void {
  if (!props) return;
  const redis = { ...BASE_SETTINGS.redis, ...props };
  const chart = scope.file('25-redis.yaml');
  const labels = labelsFor(props, REDIS_NAME, 'cache');
  const selector = selectorFor(props, REDIS_NAME);
  const metadata = { name: REDIS_NAME, namespace: props.namespace, labels };
  const storageClassName = redis.storageClassName;

  const serviceName = addStatefulSetServices(chart, metadata, selector, [servicePort('redis', REDIS_PORT)]);

  const ping = ['sh', '-c', 'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG'];
  const statefulSet = singleReplicaStatefulSet(metadata, selector, {
    serviceName,
    template: {
      metadata: { labels },
      spec: {
        serviceAccountName: SERVICE_ACCOUNTS.redis,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 30,
        securityContext: podSecurityContext(REDIS_UID),
        containers: [
          {
            name: REDIS_NAME,
            image: redis.image,
            imagePullPolicy: 'IfNotPresent',
            command: ['redis-server'],
            // $(REDIS_PASSWORD) is expanded by the kubelet from the Secret reference below.
            args: [
              '--appendonly',
              'yes',
              '--appendfsync',
              'everysec',
              '--dir',
              '/data',
              '--port',
              String(REDIS_PORT),
              '--requirepass',
              '$(REDIS_PASSWORD)',
            ],
            ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
            env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: SECRETS.redis.name, key: SECRETS.redis.keys.password } } }],
            resources: resourceRequirements(redis.resources),
            readinessProbe: { exec: { command: ping }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
            livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 3 },
            securityContext: containerSecurityContext(REDIS_UID),
            volumeMounts: [
              { name: 'data', mountPath: '/data' },
              { name: 'tmp', mountPath: '/tmp' },
            ],
          },
        ],
        volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '16Mi' } }],
      },
    },
    volumeClaimTemplates: [readWriteOnceClaim({ name: 'data', labels }, storageClassName, redis.storageSize)],
  });
  new ApiObject(chart, 'statefulset', statefulSet);
}
