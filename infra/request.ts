import { getClusterFlavour, type ClusterFlavour } from './clusters.js';
import { MONITORING_MODES, parseSetArguments, type MonitoringMode, type SettingsOverride } from './config.js';
import { assertEnvironmentName, type EnvironmentName } from './environments.js';
import { InfraUsageError } from './errors.js';
import { parseImageRef, type ImageRef } from './image.js';

// What one synth is asked to build, raw and parsed. Kept apart from main.ts so that a command
// can parse its flags without loading the charts.

/** The flags of a synth as typed (see parseSynthFlags). */
export interface SynthFlags {
  env: string;
  /** Cluster flavour; default: qctl.config.ts `cluster`, else microk8s. */
  cluster?: string;
  /** Image reference (registry/repo:tag); default: the environment's image settings. */
  image?: string;
  /** `key=value` overrides, applied after qctl.config.ts. */
  set?: string[];
  /** Monitoring mode; default: qctl.config.ts `monitoring`, else self. */
  monitoring?: string;
}

export type SettingsLayer = { source: string; values: SettingsOverride };

/** --image, --set and --monitoring, parsed: what every synthesizing command shares. */
export interface SynthChoices {
  /** Default: the environment's image settings. */
  image?: ImageRef;
  /** `--set` overrides, applied after qctl.config.ts. */
  overrides?: SettingsLayer[];
  /** Default: qctl.config.ts `monitoring`, else self. */
  monitoring?: MonitoringMode;
}

/**
 * One synth, every field already parsed and checked. The edge that received the flags (a
 * qctl command, synthesize(), the cdk8s app) parses them once; nothing below checks them again.
 */
export interface SynthRequest extends SynthChoices {
  env: EnvironmentName;
  /** Default: qctl.config.ts `cluster`, else microk8s. */
  cluster?: ClusterFlavour;
}

/** Parses --image, --set and --monitoring (exit 2 with the flag named on bad input). */
export function parseSynthChoices(flags: Pick<SynthFlags, 'image' | 'set' | 'monitoring'>): SynthChoices {
  return {
    image: flags.image === undefined ? undefined : parseImageRef(flags.image, '--image'),
    overrides: parseSetArguments(flags.set ?? []),
    monitoring: flags.monitoring === undefined ? undefined : parseMonitoringMode(flags.monitoring),
  };
}

/** Every flag of a synth parsed, once (the edge for library callers and the cdk8s app). */
export function parseSynthFlags(options: SynthFlags): SynthRequest {
  return {
    env: assertEnvironmentName(options.env),
    cluster: options.cluster === undefined ? undefined : getClusterFlavour(options.cluster),
    ...parseSynthChoices(options),
  };
}

export function parseMonitoringMode(value: string): MonitoringMode {
  if (!(MONITORING_MODES as readonly string[]).includes(value)) {
    throw new InfraUsageError(`unknown --monitoring "${value}": use one of ${MONITORING_MODES.join(', ')}`);
  }
  return value as MonitoringMode;
}
