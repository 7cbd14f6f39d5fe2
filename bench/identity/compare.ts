import fs from 'node:fs';
import path from 'node:path';
import { listFiles } from './capture.js';

/** How one case of two output directories compares. */
export interface CaseComparison {
  name: string;
  identical: boolean;
  /** Where they first differ: a file only one side has, or a file's first differing line. */
  difference?: string;
}

/** The cases of an output directory: each directory holding a `commands.txt`. */
function casesOf(dir: string): Set<string> {
  return new Set(
    listFiles(dir)
      .filter((file) => path.basename(file) === 'commands.txt')
      .map((file) => path.dirname(file)),
  );
}

/** Compares two output directories of `identity --out`, case by case. */
export function compareOutputs(a: string, b: string): CaseComparison[] {
  const casesA = casesOf(a);
  const casesB = casesOf(b);
  const names = [...new Set([...casesA, ...casesB])].sort();
  return names.map((name) => {
    if (!casesA.has(name)) return { name, identical: false, difference: `only in ${b}` };
    if (!casesB.has(name)) return { name, identical: false, difference: `only in ${a}` };
    const difference = compareCase(path.join(a, name), path.join(b, name));
    return { name, identical: difference === undefined, difference };
  });
}

function compareCase(a: string, b: string): string | undefined {
  const filesA = listFiles(a);
  const filesB = listFiles(b);
  const setB = new Set(filesB);
  for (const file of filesA) if (!setB.has(file)) return `${file}: only in the first`;
  const setA = new Set(filesA);
  for (const file of filesB) if (!setA.has(file)) return `${file}: only in the second`;
  for (const file of filesA) {
    const difference = firstDifference(fs.readFileSync(path.join(a, file)), fs.readFileSync(path.join(b, file)));
    if (difference) return `${file}: ${difference}`;
  }
  return undefined;
}

/** The first line where two files differ, both sides shown (cut to 300 characters). */
function firstDifference(a: Buffer, b: Buffer): string | undefined {
  if (a.equals(b)) return undefined;
  let at = 0;
  while (at < a.length && at < b.length && a[at] === b[at]) at++;
  // Both hold the same bytes before `at`: the line starts after the last line end there.
  const start = at === 0 ? 0 : a.lastIndexOf(0x0a, at - 1) + 1;
  const line = countLines(a, start) + 1;
  const lineOf = (bytes: Buffer): string => {
    if (start >= bytes.length) return '(end of file)';
    const end = bytes.indexOf(0x0a, start);
    const text = bytes.subarray(start, end < 0 ? bytes.length : end).toString('utf8');
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  };
  return `line ${line} differs\n    first:  ${lineOf(a)}\n    second: ${lineOf(b)}`;
}

function countLines(bytes: Buffer, end: number): number {
  let lines = 0;
  for (let at = bytes.indexOf(0x0a); at >= 0 && at < end; at = bytes.indexOf(0x0a, at + 1)) lines++;
  return lines;
}
