import { defineConfig } from './infra/config.js';

/**
 * qctl.config.ts: your changes to the built-in environments (infra/environments.ts), read by
 * `qctl synth`, `qctl up`, `qctl diff` and `cdk8s synth`. It ships empty on purpose: the
 * defaults live in infra/environments.ts alone, so editing them there takes effect. Every key
 * is optional and typed; an unknown key or a value of the wrong type stops synth with a
 * message naming it, and a setting that does nothing (e.g. api.replicas while the HPA is on)
 * is reported as a warning. `--set key=value` wins over this file. Layers apply in order:
 * infra/environments.ts → defaults → environments.<env> → --set. See docs/manifests.md.
 *
 * Example (uncomment and edit):
 *
 *   cluster: 'kind',                                   // default for --cluster (else microk8s)
 *   monitoring: 'operator',                            // default for --monitoring (else self)
 *   extensions: 'deploy/extra.ts',                     // your cdk8s-plus-28 objects (default: qctl.extensions.ts; docs/manifests.md)
 *   defaults: {                                        // every environment
 *     image: { registry: '127.0.0.1:32000' },
 *     networkPolicy: { monitoringNamespaces: ['observability'] },
 *   },
 *   environments: {
 *     staging: { api: { replicas: 2 } },
 *     prod: {
 *       api: { hpa: { minReplicas: 4, maxReplicas: 20 } },   // prod scales with an HPA
 *       ingress: { host: 'quotes.example.com', tlsSecretName: 'quotes-tls' },
 *       postgres: { mode: 'external', externalHost: 'db.internal.example.com' },
 *     },
 *   },
 */
export default defineConfig({});
