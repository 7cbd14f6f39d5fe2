import winston from 'winston';
import { redact } from './redact.js';

/** The logger every stage and CLI uses: winston, every level to stderr (stdout carries data only). */
export type Logger = winston.Logger;

/** The levels `--log-level` takes, most to least severe. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where log lines go; stderr unless a test captures them. */
  stream?: NodeJS.WritableStream;
}

const redactSecrets = winston.format((info) => {
  const cleaned = redact(info) as winston.Logform.TransformableInfo;
  // winston keeps level and message under symbols too; carry them over.
  for (const key of Object.getOwnPropertySymbols(info)) {
    (cleaned as unknown as Record<symbol, unknown>)[key] = redact((info as unknown as Record<symbol, unknown>)[key]);
  }
  return cleaned;
});

const textLine = winston.format.printf(({ level, message, timestamp, stage, ...rest }) => {
  const data = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
  return `${timestamp} ${level}${stage ? ` [${stage}]` : ''} ${message}${data}`;
});

/** Creates a logger writing to stderr, with secrets redacted from messages and metadata. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(redactSecrets(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(redactSecrets(), winston.format.timestamp(), textLine);
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] });
  return winston.createLogger({ level: options.level ?? 'info', format, transports: [transport] });
}

/** A logger that discards everything (library use without a logger). */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
