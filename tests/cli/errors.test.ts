import { describe, expect, it } from 'vitest';
import { SeedError } from '../../app/seed/errors.js';
import { ExitError, exitWith, exitWithError, JobError, UsageError } from '../../bin/cli/errors.js';
import { NoClusterError } from '../../bin/kube/client.js';
import { InfraUsageError } from '../../infra/errors.js';

function run(error: unknown, env: NodeJS.ProcessEnv = {}): { code: number; stderr: string } {
  let stderr = '';
  const code = exitWithError(error, { write: (text: string) => (stderr += text) }, env);
  return { code, stderr };
}

describe('the one error-to-exit path', () => {
  it('bad usage exits 2 with one line', () => {
    expect(run(new UsageError('unknown --output "xml": use text or json'))).toEqual({
      code: 2,
      stderr: 'qctl: unknown --output "xml": use text or json\n',
    });
    expect(run(new NoClusterError('no kubeconfig found')).code).toBe(2);
  });

  it('a usage error quoting input with a newline stays one line; a failed job keeps its detail lines', () => {
    const forged = 'unknown environment "qa\nqctl: deployed to prod": use one of dev, staging, prod';
    for (const error of [new UsageError(forged), new InfraUsageError(forged), new SeedError(forged, 'usage')]) {
      expect(run(error)).toEqual({
        code: 2,
        stderr: 'qctl: unknown environment "qa\\nqctl: deployed to prod": use one of dev, staging, prod\n',
      });
    }
    expect(run(new JobError('rollout failed:\n  pod quote-api-1: CrashLoopBackOff')).stderr).toBe(
      'qctl: rollout failed:\n  pod quote-api-1: CrashLoopBackOff\n',
    );
  });

  it('a failed job exits 1 with its message', () => {
    expect(run(new JobError('apply Deployment/quote-api failed: HTTP 422'))).toEqual({
      code: 1,
      stderr: 'qctl: apply Deployment/quote-api failed: HTTP 422\n',
    });
  });

  it('an ExitError exits with its code and prints nothing (the command already reported)', () => {
    expect(run(new ExitError(1))).toEqual({ code: 1, stderr: '' });
    expect(() => exitWith(0)).not.toThrow();
    expect(() => exitWith(1)).toThrow(ExitError);
  });

  it("infra/'s and the seeder's errors map without a conversion at the call site", () => {
    expect(run(new InfraUsageError('invalid --set "x": use key=value'))).toEqual({
      code: 2,
      stderr: 'qctl: invalid --set "x": use key=value\n',
    });
    expect(run(new SeedError('cannot read quotes.json', 'usage')).code).toBe(2);
    expect(run(new SeedError('embeddings kept failing', 'failed')).code).toBe(1);
  });

  it('an internal error exits 1, asks for a report, and shows the stack only with QCTL_DEBUG=1', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'name')");
    const quiet = run(bug);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toContain("qctl: internal error: Cannot read properties of undefined (reading 'name')\n");
    expect(quiet.stderr).toContain('please report it');
    expect(quiet.stderr).toContain('QCTL_DEBUG=1');
    expect(quiet.stderr).not.toMatch(/\n\s+at /);

    const debug = run(bug, { QCTL_DEBUG: '1' });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain('please report it');
    expect(debug.stderr).toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
