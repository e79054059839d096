import { ApiObject } from 'cdk8s';
import type { SynthContext } from '../context.js';
import { addStatefulSetServices, readWriteOnceClaim, servicePort, singleReplicaStatefulSet } from '../objects.js';
import { SECRETS } from '../secrets.js';
import type { ManifestScope } from '../scope.js';
import { SERVICE_ACCOUNTS } from './namespace.js';
import { containerSecurityContext, podSecurityContext, resourceRequirements } from './pod.js';

export const REDIS_NAME = 'redis';
export const REDIS_PORT = 6379;
/** uid/gid of the `redis` user in the official redis:alpine image. */
export const REDIS_UID = 999;

/**
 * Redis as the API's cache: password from the generated Secret, AOF persistence on a PVC so
 * a restart does not empty the cache, read-only root filesystem (data on the PVC).
 */
export function buildRedis(scope: ManifestScope, ctx: SynthContext): void {
  const { redis } = ctx.env;
  if (!redis.enabled) return;
  const chart = scope.file('25-redis.yaml');
  const labels = ctx.labels(REDIS_NAME, 'cache');
  const selector = ctx.selector(REDIS_NAME);
  const metadata = { name: REDIS_NAME, namespace: ctx.namespace, labels };
  const storageClassName = ctx.storageClassFor(redis.storageClassName);

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
            args: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', '/data', '--port', String(REDIS_PORT), '--requirepass', '$(REDIS_PASSWORD)'],
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
