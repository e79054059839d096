import { defineConfig } from './infra/config.js';

/**
 * qctl.config.ts: your changes to the built-in environments (infra/environments.ts), read by
 * `qctl synth`, `qctl up` and `cdk8s synth`. Everything is optional and typed; an unknown key
 * or a value of the wrong type stops synth with a message naming it. `--set key=value` on the
 * command line wins over this file. See docs/manifests.md for every setting.
 *
 * The values below restate the defaults, so this example changes nothing: edit them.
 */
export default defineConfig({
  cluster: 'microk8s',
  monitoring: 'self',
  // Applied to every environment first.
  defaults: {
    app: { embeddingModel: 'text-embedding-3-small' },
    // image: { registry: '127.0.0.1:32000' },            // prefix for the API image
    // networkPolicy: { monitoringNamespaces: ['observability'] },  // microk8s observability addon
  },
  environments: {
    dev: {
      api: { replicas: 1, logLevel: 'debug' },
      ingress: { host: 'quotes.127.0.0.1.nip.io' },
    },
    prod: {
      api: { hpa: { enabled: true, minReplicas: 3, maxReplicas: 10 } },
      // postgres: { mode: 'external', externalHost: 'db.internal.example.com' },
      // ingress: { host: 'quotes.example.com', tlsSecretName: 'quotes-tls', className: 'nginx' },
    },
  },
});
