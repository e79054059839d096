import { existsSync, statSync } from 'node:fs';
import type { Command } from '@commander-js/extra-typings';
import { clusterOption, envOption, monitoringOption, outputOption, setOption, type OptionsOf } from '../cli/options.js';
import { ExitError, JobError, usageError } from '../cli/errors.js';
import { parseOutputMode, printJson, warnIgnoredSettings } from '../cli/output.js';
import { parseEnv } from '../cli/env.js';
import { getClusterFlavour } from '../../infra/clusters.js';

function declare(program: Command) {
  return program
    .command('synth')
    .description('Synthesize and validate every Kubernetes object of an environment into dist/<env>/ (ordered YAML files).')
    .addOption(envOption())
    .option('--all', 'every environment')
    .addOption(clusterOption('qctl.config.ts cluster, else microk8s'))
    .option('--image <ref>', 'API image, pinned to a tag or digest (default: the environment image settings)')
    .addOption(setOption())
    .addOption(monitoringOption())
    .option('--config <path>', 'config file (default: ./qctl.config.ts when present)')
    .option('--out <dir>', 'output directory (files go to <dir>/<env>/), or - for one YAML stream on stdout', 'dist')
    .addOption(outputOption())
    .addHelpText(
      'after',
      `
Examples:
  qctl synth --env prod
  qctl synth --all --cluster kind --output json
  qctl synth --env staging --set api.replicas=2 --set ingress.host=quotes.example.com
  qctl synth --env prod --image 127.0.0.1:32000/quote-api:git-3f2a1bc
  qctl synth --env dev --out - | kubectl apply -f -

Exit codes: 0 written and valid, 1 validation failed (nothing written), 2 bad usage.`,
    );
}

type SynthOptions = OptionsOf<typeof declare>;

export function register(program: Command): void {
  declare(program).action(async (options, command) => {
    const mode = parseOutputMode(options.output);
    const envGiven = command.getOptionValueSource('env') !== 'default';
    if (options.all && envGiven) throw usageError('--env and --all exclude each other: pick one environment or all of them');
    const toStdout = options.out === '-';
    if (toStdout) checkStreamFlags(options, mode);
    else checkOutDir(options.out);
    const [{ ENVIRONMENT_NAMES }, { parseSynthChoices }, { synthesizeCached }, { writeSynthOutput }, { formatIssue }] = await Promise.all([
      import('../../infra/environment-names.js'),
      import('../../infra/request.js'),
      import('../../infra/synth-cache.js'),
      import('../../infra/synth-output.js'),
      import('../../infra/validation/issue.js'),
    ]);
    // Every flag is parsed here, once, also for --all (one parse of --set for three environments).
    const envs = options.all ? [...ENVIRONMENT_NAMES] : [parseEnv(options.env)];
    const choices = parseSynthChoices(options);
    const cluster = options.cluster === undefined ? undefined : getClusterFlavour(options.cluster);
    // Everything is built and validated before anything is written: nothing half-applied.
    // Unchanged inputs reuse the last run's objects and issues (infra/synth-cache.ts).
    const outcomes = await synthesizeCached(
      envs.map((env) => ({ env, cluster, ...choices })),
      { config: options.config, cwd: process.cwd(), validate: true, render: !toStdout },
    );
    for (const { result } of outcomes) warnIgnoredSettings(result.ignored);
    const reports = outcomes.map(({ result, issues, rendered }) => ({ result, issues: issues ?? [], rendered }));
    const failed = reports.some(({ issues }) => issues.some((issue) => issue.severity === 'error'));
    if (toStdout) {
      const [{ result, issues }] = reports as [(typeof reports)[number]];
      // stdout carries only the YAML stream (for `| kubectl apply -f -`); the rest goes to stderr.
      for (const issue of issues) process.stderr.write(`  ${formatIssue(issue)}\n`);
      process.stderr.write(`${summaryLine(result, issues)}\n`);
      if (failed) throw new JobError('validation failed: nothing was printed; fix the errors above');
      const { toYaml } = await import('../../infra/yaml.js');
      // `qctl synth --out - | head` closes the pipe early: that is the reader's choice, not an error.
      process.stdout.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
      });
      process.stdout.write(
        result.files.map((file) => file.objects.map((object) => `---\n# Source: ${file.name}\n${toYaml(object)}`).join('')).join(''),
      );
      return;
    }
    const written = failed ? [] : reports.map(({ result, rendered }) => writeSynthOutput(result, options.out, rendered));

    if (mode === 'json') {
      printJson({
        ok: !failed,
        environments: reports.map(({ result, issues }, i) => ({
          env: result.env,
          namespace: result.namespace,
          cluster: result.cluster,
          image: result.image,
          monitoring: result.monitoring,
          dir: written[i]?.dir ?? null,
          files: result.files.map((file) => ({
            name: file.name,
            objects: file.objects.map((o) => ({
              apiVersion: o.apiVersion,
              kind: o.kind,
              namespace: o.metadata.namespace ?? null,
              name: o.metadata.name,
            })),
          })),
          issues,
        })),
      });
    } else {
      reports.forEach(({ result, issues }, i) => {
        process.stdout.write(renderTable(result, written[i]?.dir));
        for (const issue of issues) process.stdout.write(`  ${formatIssue(issue)}\n`);
        process.stdout.write(`${summaryLine(result, issues)}\n\n`);
      });
    }
    if (failed) throw mode === 'json' ? new ExitError(1) : new JobError('validation failed: nothing was written; fix the errors above');
  });
}

function renderTable(
  result: {
    env: string;
    cluster: string;
    image: string;
    monitoring: string;
    files: Array<{ name: string; objects: Array<{ kind: string; metadata: { name: string; namespace?: string } }> }>;
  },
  dir: string | undefined,
): string {
  const rows: string[][] = [['FILE', 'KIND', 'NAMESPACE', 'NAME']];
  for (const file of result.files) {
    file.objects.forEach((object, i) =>
      rows.push([i === 0 ? file.name : '', object.kind, object.metadata.namespace ?? '-', object.metadata.name]),
    );
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
  const header = `${dir ?? `(not written) ${result.env}`}  env=${result.env} cluster=${result.cluster} image=${result.image} monitoring=${result.monitoring}`;
  return `${header}\n${lines.join('\n')}\n`;
}

/**
 * `--out -` prints one environment. The environments share the objects of namespace
 * `monitoring` (same names, different content), so one stream of all three would make
 * `kubectl apply -f -` overwrite them with whichever came last.
 */
function checkStreamFlags(options: SynthOptions, mode: 'text' | 'json'): void {
  if (options.all) {
    throw usageError(
      '--out - prints one environment (the environments share the monitoring objects): use --env ENV --out -, once per environment, or --all --out DIR',
    );
  }
  if (mode === 'json')
    throw usageError(
      '--out - puts the YAML on stdout, where --output json would go too: drop --output json, or write files with --out DIR',
    );
}

function checkOutDir(out: string): void {
  if (existsSync(out) && !statSync(out).isDirectory()) {
    throw usageError(
      `--out ${out} is a file, not a directory: pass a directory (files go to ${out}/<env>/) or --out - for standard output`,
    );
  }
}

function summaryLine(result: { env: string; objects: unknown[]; files: unknown[] }, issues: Array<{ severity: string }>): string {
  const errors = issues.filter((x) => x.severity === 'error').length;
  return `${result.objects.length} objects in ${result.files.length} files; validation: ${errors} error(s), ${issues.length - errors} warning(s)`;
}
