// The pipeline's steps as data (what each runs) and the runner that executes them; the CLI is
// scripts/pipeline.mjs, the local rehearsal scripts/pipeline/rehearsal.mjs.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const qctlEntry = resolve(root, 'bin/qctl.mjs');

export const DEFAULTS = {
  cluster: 'generic',
  loadRate: '50',
  loadDuration: '60s',
  loadSlo: 'p99<250ms,errors<0.1%,rate>=0.99',
  canaryWeight: '20',
  canarySteps: '50',
  timeout: '10m',
};

/** Reads the pipeline's settings from an environment (process.env in CI). */
export function settingsFrom(env) {
  return {
    cluster: env.QCTL_CLUSTER || DEFAULTS.cluster,
    context: env.QCTL_CONTEXT || undefined,
    registry: env.QCTL_REGISTRY || undefined,
    image: env.QCTL_IMAGE || undefined,
    loadTarget: env.LOAD_TARGET || undefined,
    loadRate: env.LOAD_RATE || DEFAULTS.loadRate,
    loadDuration: env.LOAD_DURATION || DEFAULTS.loadDuration,
    loadSlo: env.LOAD_SLO || DEFAULTS.loadSlo,
    canaryWeight: env.CANARY_WEIGHT || DEFAULTS.canaryWeight,
    canarySteps: env.CANARY_STEPS || DEFAULTS.canarySteps,
    canaryAnalysis: env.CANARY_ANALYSIS !== 'off',
    monitoring: env.QCTL_MONITORING || undefined,
    timeout: env.QCTL_TIMEOUT || DEFAULTS.timeout,
    distDir: env.DIST_DIR || 'dist',
    reportDir: env.REPORT_DIR || 'reports',
  };
}

function clusterFlags(s) {
  return ['--cluster', s.cluster, ...(s.context ? ['--context', s.context] : [])];
}

/** Flags of the commands that synthesize the release (up, diff). */
function releaseFlags(s) {
  return [...clusterFlags(s), ...(s.monitoring ? ['--monitoring', s.monitoring] : [])];
}

function imageFlags(s) {
  if (s.image) return ['--image', s.image];
  return s.registry ? ['--registry', s.registry] : [];
}

function releaseImageFlags(s) {
  // The image the deploy step built and pushed for this commit: the same content-addressed tag.
  if (s.image) return ['--image', s.image];
  return ['--skip-build', ...(s.registry ? ['--registry', s.registry] : [])];
}

function canaryArgv(s, env) {
  return [
    'up',
    '--env',
    env,
    ...releaseFlags(s),
    ...releaseImageFlags(s),
    '--canary',
    s.canaryWeight,
    ...(s.canaryAnalysis ? ['--canary-steps', s.canarySteps] : ['--no-analysis']),
    '--timeout',
    s.timeout,
  ];
}

/**
 * Each step: what it is for, the environment it defaults to, and its qctl commands (argv after
 * `qctl`). `folder` is created first (for reports); `stdoutTo` saves a command's standard output as a file for the CI to upload;
 * `changesExit` names the exit code that means "there are changes" rather than a failure.
 */
export const STEPS = {
  manifests: {
    about: 'synthesize every environment and validate the YAML (uploaded as an artifact)',
    commands: (s) => [{ argv: ['synth', '--all', '--out', s.distDir] }, { argv: ['validate', s.distDir] }],
  },
  diff: {
    about: 'what qctl up would change in the environment (server-side dry run), as a job summary',
    defaultEnv: 'staging',
    commands: (s, env) => [
      { argv: ['diff', '--env', env, ...releaseFlags(s), '--exit-code'], changesExit: 1, summary: `${s.reportDir}/diff.md` },
    ],
  },
  deploy: {
    about: 'build and push the image (content-addressed tag), apply in order, wait; the seed Job runs on first install',
    defaultEnv: 'staging',
    commands: (s, env) => [
      { argv: ['up', '--env', env, ...releaseFlags(s), ...imageFlags(s), '--timeout', s.timeout, '--rollback-on-failure'] },
    ],
  },
  'load-gate': {
    about: 'open-loop load check against the environment; the SLOs decide the exit code (HTML report uploaded)',
    defaultEnv: 'staging',
    commands: (s, env) => [
      {
        argv: [
          'load',
          ...(s.loadTarget ? [s.loadTarget] : ['--env', env, ...(s.context ? ['--context', s.context] : []), '--yes']),
          '--rate',
          s.loadRate,
          '--duration',
          s.loadDuration,
          '--slo',
          s.loadSlo,
          '--report',
          `${s.reportDir}/load-report.html`,
          '--output',
          'json',
        ],
        stdoutTo: `${s.reportDir}/load-result.json`,
        folder: s.reportDir,
      },
    ],
  },
  canary: {
    about:
      'release this commit to prod as a canary, analysed from Prometheus, then promoted or aborted (a first release, or one already running, is a plain up)',
    defaultEnv: 'prod',
    commands: (s, env) => [{ argv: canaryArgv(s, env) }],
    run: runCanary,
  },
  abort: {
    about: 'remove a canary left by a cancelled or failed run; the stable version keeps serving',
    defaultEnv: 'prod',
    commands: (s, env) => [{ argv: ['abort', '--env', env, ...clusterFlags(s), '--timeout', s.timeout] }],
  },
};

/** The commands of one step, for one environment. */
export function commandsOf(step, env, settings) {
  const definition = STEPS[step];
  if (!definition) throw new Error(`unknown pipeline step ${step}: one of ${Object.keys(STEPS).join(', ')}, or rehearse`);
  return definition.commands(settings, env ?? definition.defaultEnv ?? 'dev');
}

function runQctl(argv, { stdoutTo, capture, quiet, env = process.env } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [qctlEntry, ...argv], {
      cwd: root,
      env: { CI: 'true', ...env },
      stdio: ['ignore', stdoutTo || capture || quiet ? 'pipe' : 'inherit', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      if (capture) process.stdout.write(chunk);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (stdoutTo) {
        mkdirSync(dirname(resolve(root, stdoutTo)), { recursive: true });
        writeFileSync(resolve(root, stdoutTo), out);
      }
      resolveRun({ code: code ?? (signal ? 1 : 0), out });
    });
  });
}

/** Appends a step's output to the CI's job summary: GitHub's step summary, or a file GitLab keeps. */
function writeSummary(file, title, code, changesExit, text) {
  const verdict = code === 0 ? 'no changes' : code === changesExit ? 'changes pending' : `failed (exit ${code})`;
  const markdown = `### ${title}: ${verdict}\n\n\`\`\`diff\n${text.trim() || '(nothing)'}\n\`\`\`\n`;
  if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, markdown);
  mkdirSync(dirname(resolve(root, file)), { recursive: true });
  writeFileSync(resolve(root, file), markdown);
}

/**
 * The canary needs a stable version beside it: the first release to an environment is a plain
 * `up`, and a commit the stable version already runs (a re-run pipeline) releases nothing.
 */
async function runCanary(settings, env, log) {
  const plan = await runQctl(
    ['up', '--env', env, ...releaseFlags(settings), ...releaseImageFlags(settings), '--dry-run', '--output', 'json'],
    {
      quiet: true,
    },
  );
  if (plan.code !== 0) return plan.code;
  const image = JSON.parse(plan.out).image;
  const status = await runQctl(['status', '--env', env, ...clusterFlags(settings), '--output', 'json'], { quiet: true });
  if (status.code !== 0) return status.code;
  const report = JSON.parse(status.out);
  const stable = report.workloads.find((w) => w.kind === 'Deployment' && w.name === 'quote-api');
  if (!stable) {
    log(`no stable quote-api in ${env} yet: this first release is a plain up`);
    return (await runQctl(['up', '--env', env, ...releaseFlags(settings), ...releaseImageFlags(settings), '--timeout', settings.timeout]))
      .code;
  }
  if (stable.images.includes(image) && !report.canary) {
    log(`${env} already runs ${image}: nothing to release`);
    return 0;
  }
  const argv = canaryArgv(settings, env);
  log(`qctl ${argv.join(' ')}`);
  return (await runQctl(argv)).code;
}

/** Runs one step; resolves to its exit code (0 ok, 1 failed, 2 bad usage). */
export async function runStep(step, env, settings, { failOnChanges = false } = {}) {
  const definition = STEPS[step];
  if (definition?.run) return definition.run(settings, env ?? definition.defaultEnv, (line) => console.error(`pipeline ${step}: ${line}`));
  for (const command of commandsOf(step, env, settings)) {
    if (command.folder) mkdirSync(resolve(root, command.folder), { recursive: true });
    console.error(`pipeline ${step}: qctl ${command.argv.join(' ')}`);
    const { code, out } = await runQctl(command.argv, { stdoutTo: command.stdoutTo, capture: command.summary });
    if (command.summary) writeSummary(command.summary, `qctl ${command.argv.slice(0, 3).join(' ')}`, code, command.changesExit, out);
    if (code === command.changesExit) {
      console.error(`pipeline ${step}: changes pending${failOnChanges ? '' : ' (not a failure; --fail-on-changes makes it one)'}`);
      if (failOnChanges) return 1;
      continue;
    }
    if (code !== 0) return code;
  }
  return 0;
}
