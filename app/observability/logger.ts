import { pino, type Logger } from 'pino';
import { UNSET, type LogLevel } from '../config.js';

export type { Logger };

/**
 * JSON logs (one object per line) for the whole process. Anything that could carry a
 * secret is redacted by path, so a careless `log.info({ req })` cannot leak a token.
 */
export function createLogger(level: LogLevel = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'quote-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'headers.authorization',
          'config.openaiApiKey',
          'config.apiToken',
          'config.database.password',
          'password',
          'apiKey',
          'token',
        ],
        // A secret that was never set shows as "unset", so "***" always means a value is hidden.
        censor: (value: unknown) => (value === undefined || value === null || value === '' || value === UNSET ? UNSET : '***'),
      },
    },
    destination ?? process.stdout,
  );
}
