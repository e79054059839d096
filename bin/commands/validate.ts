import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { usageError } from '../cli/errors.js';
import { parseOutputMode, printJson } from '../cli/output.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('Validate Kubernetes YAML (a file or a directory, recursively): schemas, unknown fields and cross-object rules.')
    .argument('<paths...>', 'YAML files or directories, e.g. dist/prod')
    .option('--output <mode>', 'text or json', 'text')
    .addHelpText(
      'after',
      `
Examples:
  qctl validate dist/prod
  qctl validate k8s/ other.yaml --output json

Objects from all paths are checked together (a Service and its Deployment may live in different files).
Exit codes: 0 valid (warnings allowed), 1 errors found, 2 bad usage.`,
    )
    .action(async (paths: string[], options: { output?: string }) => {
      const mode = parseOutputMode(options.output);
      const missing = paths.find((path) => !existsSync(path));
      if (missing) throw usageError(`${missing} does not exist: pass a YAML file or a directory such as dist/prod`);
      const { readManifests, validateFiles, hasErrors, formatIssue } = await import('../../infra/validate.js');
      const files: Array<{ name: string; objects: Parameters<typeof validateFiles>[0][number]['objects'] }> = [];
      const issues = [];
      for (const path of paths) {
        let read;
        try {
          read = readManifests(path);
        } catch (error) {
          if (error instanceof Error && error.name === 'InfraUsageError') throw usageError(error.message);
          const code = (error as NodeJS.ErrnoException).code;
          if (code) throw usageError(`cannot read ${path} (${code}): pass YAML files or directories you can read`);
          throw error;
        }
        files.push(...read.files);
        issues.push(...read.issues);
      }
      issues.push(...validateFiles(files));
      const objectCount = files.reduce((n, f) => n + f.objects.length, 0);
      const failed = hasErrors(issues);
      if (mode === 'json') {
        printJson({ ok: !failed, files: files.length, objects: objectCount, issues });
      } else {
        for (const issue of issues) process.stdout.write(`${formatIssue(issue)}\n`);
        const errors = issues.filter((x) => x.severity === 'error').length;
        process.stdout.write(`${objectCount} objects in ${files.length} files: ${errors} error(s), ${issues.length - errors} warning(s)\n`);
      }
      if (failed) process.exitCode = 1;
    });
}
