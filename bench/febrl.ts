import fs from 'node:fs';
import path from 'node:path';
import type { Lead } from '../lib/core/record.js';

/**
 * The FEBRL synthetic person datasets (Christen's Febrl generator, ANU; as shipped by the Python
 * Record Linkage Toolkit), used to measure matching quality against known truth. Read from where
 * they are kept, never copied into the project. Rows are `rec-<N>-org` / `rec-<N>-dup-<K>`:
 * records sharing `<N>` are one person.
 */

/** The datasets by name: dedupe tasks within one file, and 4 (linkage of 4a with 4b). */
export const FEBRL_DATASETS: Record<string, string[]> = {
  '1': ['dataset1.csv'],
  '2': ['dataset2.csv'],
  '3': ['dataset3.csv'],
  '4': ['dataset4a.csv', 'dataset4b.csv'],
};

export interface LabelledLead {
  record: Lead;
  /** The true entity (`rec-<N>`). */
  entity: string;
}

/**
 * Reads one FEBRL dataset as leads: every column kept under its own name (text, as written),
 * `id` the rec_id. Values are separated by ", " and never quoted. Throws, naming the file and
 * line, on a row with the wrong number of values.
 */
export function readFebrl(dir: string, dataset: string): LabelledLead[] {
  const files = FEBRL_DATASETS[dataset];
  if (!files) throw new Error(`No FEBRL dataset "${dataset}"; known: ${Object.keys(FEBRL_DATASETS).join(', ')}.`);
  const leads: LabelledLead[] = [];
  for (const file of files) {
    const full = path.join(dir, file);
    const lines = fs.readFileSync(full, 'utf8').split(/\r?\n/);
    const header = lines[0]!.split(',').map((h) => h.trim());
    lines.slice(1).forEach((line, index) => {
      if (!line.trim()) return;
      const values = line.split(',').map((v) => v.trim());
      if (values.length !== header.length) throw new Error(`${full}:${index + 2}: ${values.length} values where the header has ${header.length}.`);
      const record: Lead = {};
      header.forEach((name, i) => {
        record[name === 'rec_id' ? 'id' : name] = values[i] === '' ? null : values[i];
      });
      const entity = /^rec-(\d+)-/.exec(String(record.id))?.[1];
      if (entity === undefined) throw new Error(`${full}:${index + 2}: rec_id ${JSON.stringify(record.id)} is not rec-<N>-org or rec-<N>-dup-<K>.`);
      leads.push({ record, entity: `rec-${entity}` });
    });
  }
  return leads;
}
