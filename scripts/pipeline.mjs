#!/usr/bin/env node
// The CI/CD pipeline's steps, one qctl command each, so that .github/workflows/*.yml and
// .gitlab-ci.yml stay thin (`npm run pipeline -- <step>`) and the same steps can be rehearsed on a
// laptop: `npm run pipeline -- rehearse` runs them in order against `qctl dev` and, when
// QCTL_TEST_KUBE_ASSETS names the kube-assets folder, against a real Kubernetes API server.
//
//   npm run pipeline -- <step> [--env E] [--print]
//
// Settings come from the environment, the way CI systems pass them (every one optional):
//   QCTL_CLUSTER    cluster flavour for up/diff/abort (default generic)
//   QCTL_CONTEXT    kubeconfig context (default: the current one)
//   QCTL_REGISTRY   registry qctl up pushes to and the cluster pulls from (generic needs it or QCTL_IMAGE)
//   QCTL_IMAGE      deploy this image instead of building one
//   LOAD_TARGET     URL for the load gate (default: the environment's ingress)
//   LOAD_RATE, LOAD_DURATION, LOAD_SLO   the load gate (default 50 req/s, 60s, p99<250ms,errors<0.1%,rate>=0.99)
//   CANARY_WEIGHT, CANARY_STEPS         the prod canary (default 20, then 50)
//   CANARY_ANALYSIS=off                 deploy the canary without analysis (for rehearsals without Prometheus)
//   QCTL_MONITORING                     self | operator | none for up and diff (default: qctl.config.ts)
//   QCTL_TIMEOUT                        deadline per waited object (default 10m)
//   DIST_DIR, REPORT_DIR                where manifests and reports go (default dist, reports)
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { STEPS, commandsOf, runStep, settingsFrom } from './pipeline/steps.mjs';

function parseArgs(argv) {
  const [step, ...rest] = argv;
  const options = { step, env: undefined, print: false, failOnChanges: false };
  for (let i = 0; i < rest.length; i += 1) {
    const arg = rest[i];
    if (arg === '--env') options.env = rest[++i];
    else if (arg === '--print') options.print = true;
    else if (arg === '--fail-on-changes') options.failOnChanges = true;
    else throw new Error(`unknown option ${arg}: use --env E, --print or --fail-on-changes`);
  }
  if (options.env !== undefined && !['dev', 'staging', 'prod'].includes(options.env)) {
    throw new Error(`--env ${options.env} is not an environment: use dev, staging or prod`);
  }
  return options;
}

const usage = `usage: npm run pipeline -- <step> [--env dev|staging|prod] [--print] [--fail-on-changes]
steps:
${Object.entries(STEPS)
  .map(([name, s]) => `  ${name.padEnd(10)} ${s.about}`)
  .join('\n')}
  rehearse   every step in order against qctl dev (and a real API server with QCTL_TEST_KUBE_ASSETS)`;

async function main(argv) {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    console.log(usage);
    return argv.length === 0 ? 2 : 0;
  }
  let options;
  try {
    options = parseArgs(argv);
    if (options.step !== 'rehearse') commandsOf(options.step, options.env, settingsFrom(process.env));
  } catch (error) {
    console.error(`pipeline: ${error.message}`);
    return 2;
  }
  if (options.step === 'rehearse') {
    const { rehearse } = await import('./pipeline/rehearsal.mjs');
    return rehearse({ kubeAssets: process.env.QCTL_TEST_KUBE_ASSETS });
  }
  const settings = settingsFrom(process.env);
  if (options.print) {
    const commands = commandsOf(options.step, options.env, settings).map((c) => ['qctl', ...c.argv]);
    console.log(JSON.stringify(commands));
    return 0;
  }
  return runStep(options.step, options.env, settings, options);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
