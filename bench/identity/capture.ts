import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import type { Normaliser } from './normalise.js';

/**
 * Copies what a case left in its working directory into the output directory, as text that can
 * be compared line by line: JSON Lines, reports and journals normalised (normalise.ts); a SQLite
 * database as its tables' rows, in primary-key order (`<file>.rows.jsonl`); a gzip file
 * decompressed (`<file>.gunzip`); a symbolic link as its target (`<file>.symlink`); any other
 * binary file as its SHA-256 (`<file>.sha256`). SQLite's -wal and -shm files are read through
 * their database; `skip` names files (relative paths) that are the case's inputs.
 */
export function captureDirectory(workDir: string, outDir: string, normaliser: Normaliser, skip: Set<string> = new Set()): void {
  for (const relative of listFiles(workDir)) {
    if (skip.has(relative) || /-(wal|shm|journal)$/.test(relative)) continue;
    const source = path.join(workDir, relative);
    const target = path.join(outDir, normaliser.text(relative));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const stat = fs.lstatSync(source);
    if (stat.isSymbolicLink()) {
      fs.writeFileSync(`${target}.symlink`, `${normaliser.text(fs.readlinkSync(source))}\n`);
      continue;
    }
    const bytes = fs.readFileSync(source);
    if (bytes.subarray(0, 16).toString('latin1') === 'SQLite format 3\0') {
      fs.writeFileSync(`${target}.rows.jsonl`, normaliser.text(dumpDatabase(source)));
    } else if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      writeText(`${target}.gunzip`, zlib.gunzipSync(bytes), normaliser);
    } else {
      writeText(target, bytes, normaliser);
    }
  }
}

/** Text is normalised; bytes that are not UTF-8 text are kept as their digest. */
export function writeText(target: string, bytes: Buffer, normaliser: Normaliser): void {
  const text = bytes.toString('utf8');
  if (bytes.includes(0) || !Buffer.from(text, 'utf8').equals(bytes)) {
    fs.writeFileSync(`${target}.sha256`, `${crypto.createHash('sha256').update(bytes).digest('hex')}\n`);
    return;
  }
  fs.writeFileSync(target, normaliser.text(text));
}

/** Every file and symbolic link below `dir`, as sorted relative paths. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const child = relative ? path.join(relative, entry.name) : entry.name;
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk('');
  return out.sort();
}

/**
 * A database as text: per table (by name), a line with its CREATE statement, then one line per
 * row, a JSON object in column order (blobs as base64), in primary-key order, else rowid order.
 */
function dumpDatabase(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string; sql: string }>;
    const lines: string[] = [];
    for (const table of tables) {
      lines.push(JSON.stringify({ table: table.name, sql: table.sql }));
      const quoted = `"${table.name.replace(/"/g, '""')}"`;
      const keys = (db.prepare(`PRAGMA table_info(${quoted})`).all() as Array<{ name: string; pk: number }>)
        .filter((column) => column.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((column) => `"${column.name.replace(/"/g, '""')}"`);
      const order = keys.length ? keys.join(', ') : 'rowid';
      for (const row of db.prepare(`SELECT * FROM ${quoted} ORDER BY ${order}`).iterate() as Iterable<Record<string, unknown>>) {
        for (const [column, value] of Object.entries(row)) if (Buffer.isBuffer(value)) row[column] = { base64: value.toString('base64') };
        lines.push(JSON.stringify(row));
      }
    }
    return lines.map((line) => `${line}\n`).join('');
  } finally {
    db.close();
  }
}
