import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactor } from './redaction.js';

export type { Logger } from 'pino';

/**
 * Field names that may carry protected health information or credentials. Logs are for operators:
 * they carry ids and counts, and these paths are censored should a payload slip into a log call.
 */
export const SENSITIVE_LOG_PATHS = [
  'password',
  'secret',
  'token',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'name',
  'names',
  'firstName',
  'lastName',
  'givenName',
  'familyName',
  'birthDate',
  'dateOfBirth',
  'dob',
  'memberId',
  'ssn',
  'data',
  'body',
  'payload',
  'record',
  'records',
  '*.password',
  '*.secret',
  '*.token',
  '*.name',
  '*.firstName',
  '*.lastName',
  '*.givenName',
  '*.familyName',
  '*.birthDate',
  '*.dateOfBirth',
  '*.dob',
  '*.memberId',
  '*.ssn',
  '*.data',
  '*.body',
  '*.payload',
];

export interface LoggerSettings {
  level?: string;
  /** Human-readable output; defaults to true when stdout is a terminal and NODE_ENV is not production. */
  pretty?: boolean;
  /** Where to write; defaults to stdout. Tests pass a stream to capture output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const pretty =
    settings.pretty ?? (Boolean(process.stdout.isTTY) && process.env.NODE_ENV !== 'production' && !settings.destination);
  const options: LoggerOptions = {
    level: settings.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: SENSITIVE_LOG_PATHS, censor: '[redacted]' },
    hooks: {
      // Secrets are scrubbed by value too, so one interpolated into a message or an error is caught.
      logMethod(args, method) {
        method.apply(this, redactor.size ? (args.map((a) => redactor.redact(a)) as typeof args) : args);
      },
    },
    serializers: {
      err: (err: unknown) => serializeError(err),
    },
  };
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return settings.destination ? pino(options, settings.destination as pino.DestinationStream) : pino(options);
}

function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: redactor.redactString(String(err)) };
  const out: Record<string, unknown> = {
    type: err.name,
    message: redactor.redactString(err.message),
  };
  const code = (err as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (err.stack) out.stack = redactor.redactString(err.stack);
  if (err.cause) out.cause = serializeError(err.cause);
  return out;
}
