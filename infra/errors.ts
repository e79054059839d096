/**
 * An error in what the user asked infra/ to build (unknown environment, bad `--set`, a
 * qctl.config.ts value of the wrong type). infra/ never imports bin/, so the CLI maps this
 * to its own QctlError; `exitCode` 2 means bad usage, as everywhere in qctl.
 */
export class InfraUsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'InfraUsageError';
  }
}
