/**
 * An error the user can act on: one line that names the problem and the fix.
 * `exitCode` 2 means bad usage or an unreachable prerequisite; 1 means the job ran and failed.
 */
export class QctlError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = 'QctlError';
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string): QctlError => new QctlError(message, 2);
