import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { IContainer, IEnvVar, IVolume } from 'kubernetes-models/v1';
import type { Labels } from '../labels.js';
import type { SynthContext } from '../context.js';
import { BASE_SETTINGS } from '../environments.js';
import { addStatefulSetServices, readWriteOnceClaim, servicePort, singleReplicaStatefulSet } from '../objects.js';
import { SECRETS } from '../secrets.js';
import type { ManifestScope } from '../scope.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { containerSecurityContext, podSecurityContext, resourceRequirements } from './pod.js';
import { inClusterHost, labelsFor, selectorFor, stackPropsFrom, type ResourceSettings, type StackProps } from './props.js';

export const REDIS_NAME = 'redis';
export const REDIS_PORT = 6379;
/** uid/gid of the `redis` user in the official redis:alpine image. */
export const REDIS_UID = 999;

/** The in-cluster DNS name of the cache's Service. */
export function redisHost(namespace: string): string {
  return inClusterHost(REDIS_NAME, namespace);
}

/** REDIS_PASSWORD from the Secret and REDIS_URL (database 0) built from it through `$(VAR)` expansion, for the cache at host:port. */
export function redisConnectionEnv(host: string, port: number = REDIS_PORT): IEnvVar[] {
  return [
    { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: SECRETS.redis.name, key: SECRETS.redis.keys.password } } },
    { name: 'REDIS_URL', value: `redis://:$(REDIS_PASSWORD)@${host}:${port}/0` },
  ];
}

export interface RedisProps extends StackProps {
  /** Pinned Redis image. @default 'redis:7.4-alpine' */
  image?: string;
  /** Size of the AOF volume. @default '512Mi' */
  storageSize?: string;
  /** Storage class of the volume; null is the cluster's default class. @default null */
  storageClassName?: string | null;
  /** @default requests 50m/64Mi, limits 250m/128Mi */
  resources?: ResourceSettings;
  /** The pod's ServiceAccount (the stack passes `serviceAccounts.redis.serviceAccountName`). @default 'redis' */
  serviceAccountName?: string;
}

/** The read replica in each API pod: a container named so, listening on 127.0.0.1 only. */
export const REDIS_REPLICA_NAME = 'redis-replica';
/** Where the API reaches its replica; the password is expanded by the kubelet. */
export const REDIS_REPLICA_URL = `redis://:$(REDIS_PASSWORD)@127.0.0.1:${REDIS_PORT}/0`;

export interface RedisReplicaSidecarProps {
  /** The primary's image, pinned: replica and primary run the same version. @default 'redis:7.4-alpine' */
  image?: string;
  /** The primary's: the replica holds the same data. @default requests 50m/64Mi, limits 250m/128Mi */
  resources?: ResourceSettings;
}

/** The props of the API pods' read replica, or undefined when Redis or `redis.readReplicaSidecar` is off. */
export function redisReplicaSidecarPropsFrom(ctx: SynthContext): RedisReplicaSidecarProps | undefined {
  const { redis } = ctx.env;
  if (!redis.enabled || !redis.readReplicaSidecar) return undefined;
  return { image: redis.image, resources: redis.resources };
}

/**
 * A read-only replica of the primary Service, for the API pod's containers only (bound to
 * 127.0.0.1). It keeps no data of its own (no AOF, no snapshots): a restarted replica syncs
 * again from the primary, and the API reads from the primary meanwhile. While its link is
 * down it answers MASTERDOWN instead of stale data (`replica-serve-stale-data no`).
 *
 * Both probes pass as soon as redis-server answers, even LOADING or MASTERDOWN: readiness
 * gates the whole pod, and a replica that is still syncing must not take the API out of its
 * Service (the app reads from the primary meanwhile).
 */
export function redisReplicaSidecar(namespace: string, props: RedisReplicaSidecarProps): { container: IContainer; volume: IVolume } {
  const redis = { ...BASE_SETTINGS.redis, ...props };
  const answers = [
    'sh',
    '-c',
    `redis-cli -h 127.0.0.1 -p ${REDIS_PORT} --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -qE '^(PONG|LOADING|MASTERDOWN)'`,
  ];
  const container: IContainer = {
    name: REDIS_REPLICA_NAME,
    image: redis.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['redis-server'],
    // $(REDIS_PASSWORD) is expanded by the kubelet from the Secret reference below.
    args: [
      '--bind',
      '127.0.0.1',
      '--port',
      String(REDIS_PORT),
      '--requirepass',
      '$(REDIS_PASSWORD)',
      '--replicaof',
      redisHost(namespace),
      String(REDIS_PORT),
      '--masterauth',
      '$(REDIS_PASSWORD)',
      '--replica-read-only',
      'yes',
      '--replica-serve-stale-data',
      'no',
      // The replica starts empty: load the primary's snapshot straight from the socket.
      '--repl-diskless-load',
      'on-empty-db',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/data',
    ],
    env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: SECRETS.redis.name, key: SECRETS.redis.keys.password } } }],
    resources: resourceRequirements(redis.resources),
    readinessProbe: { exec: { command: answers }, periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 3 },
    livenessProbe: { exec: { command: answers }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 3 },
    securityContext: containerSecurityContext(REDIS_UID),
    volumeMounts: [{ name: REDIS_REPLICA_NAME, mountPath: '/data' }],
  };
  // A snapshot of a data set that fits the memory limit fits a scratch volume of that size.
  const volume: IVolume = { name: REDIS_REPLICA_NAME, emptyDir: { sizeLimit: redis.resources.limits.memory } };
  return { container, volume };
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
export function buildRedis(scope: ManifestScope, props: RedisProps | undefined): Redis | undefined {
  return props ? new Redis(scope.file('25-redis.yaml'), REDIS_NAME, props) : undefined;
}

/**
 * The cache (see buildRedis). Exposes `.service`, `.statefulSet`, `.selector`, `.port`,
 * `.host`, the password's Secret (`.passwordSecret`) and `.connectionEnv()` (REDIS_PASSWORD
 * from the Secret, REDIS_URL composed from it by the kubelet).
 */
export class Redis extends Construct {
  readonly service: ApiObject;
  readonly statefulSet: ApiObject;
  readonly selector: Labels;
  readonly port = REDIS_PORT;
  readonly serviceName = REDIS_NAME;
  readonly host: string;
  readonly passwordSecret = { secretName: SECRETS.redis.name, passwordKey: SECRETS.redis.keys.password };

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const redis = { ...BASE_SETTINGS.redis, ...props };
    const labels = labelsFor(props, REDIS_NAME, 'cache');
    const selector = selectorFor(props, REDIS_NAME);
    const metadata = { name: REDIS_NAME, namespace: props.namespace, labels };
    const storageClassName = redis.storageClassName;

    const { headlessName: serviceName, service } = addStatefulSetServices(this, metadata, selector, [servicePort('redis', REDIS_PORT)]);
    this.service = service;
    this.selector = selector;
    this.host = redisHost(props.namespace);

    const ping = ['sh', '-c', 'redis-cli --no-auth-warning -a "$REDIS_PASSWORD" ping | grep -q PONG'];
    const statefulSet = singleReplicaStatefulSet(metadata, selector, {
      serviceName,
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: props.serviceAccountName ?? SERVICE_ACCOUNTS.redis,
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
              env: [
                { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: SECRETS.redis.name, key: SECRETS.redis.keys.password } } },
              ],
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
    this.statefulSet = new ApiObject(this, 'statefulset', statefulSet);
  }

  /** REDIS_PASSWORD from the Secret and REDIS_URL (database 0) built from it through `$(VAR)` expansion. */
  connectionEnv(): IEnvVar[] {
    return redisConnectionEnv(this.host, this.port);
  }
}
