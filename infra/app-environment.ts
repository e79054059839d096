import { checkVariable } from '../app/config.js';
import type { EnvironmentSettings } from './settings-schema.js';

/** One variable of the app's environment (app/config.ts) that a setting becomes, with its text. */
export interface SettingVariable {
  variable: string;
  /** The dotted setting name a user writes in `--set` or qctl.config.ts. */
  setting: string;
  value: string;
}

type AppSettings = EnvironmentSettings['app'];

/**
 * The ConfigMap variables written from the `app` settings and the API's log level, as the app
 * will read them: the one place that turns these settings into text (apiConfigData writes
 * them, appSettingProblems checks them).
 */
export function appSettingVariables(app: AppSettings, logLevel: string): SettingVariable[] {
  const variables: SettingVariable[] = [
    { variable: 'EMBEDDING_MODEL', setting: 'app.embeddingModel', value: app.embeddingModel },
    { variable: 'VECTOR_INDEX', setting: 'app.vectorIndex', value: app.vectorIndex },
    { variable: 'IVFFLAT_LISTS', setting: 'app.ivfflatLists', value: String(app.ivfflatLists) },
    { variable: 'CACHE_TTL_SECONDS', setting: 'app.cacheTtlSeconds', value: String(app.cacheTtlSeconds) },
    { variable: 'LOG_LEVEL', setting: 'api.logLevel', value: logLevel },
  ];
  if (app.corsOrigins.length > 0)
    variables.push({ variable: 'CORS_ORIGINS', setting: 'app.corsOrigins', value: app.corsOrigins.join(',') });
  if (app.openaiBaseUrl) variables.push({ variable: 'OPENAI_BASE_URL', setting: 'app.openaiBaseUrl', value: app.openaiBaseUrl });
  return variables;
}

/**
 * Settings whose variable the app would refuse at start, judged by the app's own rules
 * (checkVariable): a synth must not write a ConfigMap the pods then crash on. [setting, problem] pairs.
 */
export function appSettingProblems(settings: EnvironmentSettings): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  for (const { variable, setting, value } of appSettingVariables(settings.app, settings.api.logLevel)) {
    const problem = checkVariable(variable, value);
    if (problem) {
      problems.push([
        setting,
        `is ${JSON.stringify(value)}, which the app refuses at start (${variable}: ${problem}): fix ${setting} in qctl.config.ts or --set`,
      ]);
    }
  }
  return problems;
}
