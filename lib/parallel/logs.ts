import { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../core/log.js';

/**
 * The log lines stages write when their input ends ("Values left as they were: {problems: …}")
 * come from every worker's instance of a stage, each with the counts of its own share. They are
 * held and merged instead (the same message of the same step once, its counts added up), so the
 * log reads as if one instance had seen every record.
 */
export class FinalLogs {
  private readonly entries = new Map<string, { step: number; info: Record<string, unknown> }>();

  add(step: number, info: Record<string, unknown>): void {
    const key = `${step}\u0000${String(info.level)}\u0000${String(info.message)}`;
    const known = this.entries.get(key);
    this.entries.set(key, { step, info: known ? (addCounts(known.info, info) as Record<string, unknown>) : info });
  }

  /** Writes the merged lines, each to its step's logger. */
  write(loggers: Array<Logger | undefined>): void {
    for (const { step, info } of this.entries.values()) loggers[step]?.log(info as winston.LogEntry);
    this.entries.clear();
  }
}

/** Numbers are added, objects merged member by member (in sorted order), anything else kept from the first. */
function addCounts(a: unknown, b: unknown): unknown {
  if (typeof a === 'number' && typeof b === 'number') return a + b;
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return Object.fromEntries(keys.map((key) => [key, key in a && key in b ? addCounts(a[key], b[key]) : key in a ? a[key] : b[key]]));
  }
  return a;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A logger that hands each entry, as an object, to `sink` (winston gives an object-mode stream
 * the entry itself): how a worker's stages log through the main thread, and how the end-of-input
 * lines are held for merging. The stage context adds the stage's name (`child({ stage })`).
 */
export function entryLogger(level: string, sink: (info: Record<string, unknown>) => void): Logger {
  const stream = new Writable({
    objectMode: true,
    write(info: Record<string, unknown>, _encoding, callback) {
      sink(info);
      callback();
    },
  });
  return winston.createLogger({ level, transports: [new winston.transports.Stream({ stream })] });
}
