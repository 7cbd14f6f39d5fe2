import Database from 'better-sqlite3';
import path from 'node:path';
import type { TableSchema } from '../../lib/airtable-emulator/index.js';

/**
 * A team's own data, named as teams name things: a SQLite table `contacts` with its own column
 * names, no link column, NULLs and numbers stored as text, and an Airtable table `Prospects`
 * with other names again and a select of the team's own stages.
 */

export const TEAM_COLUMNS = ['Contact ID', 'Name', 'E-mail', 'Company Name', 'LinkedIn', 'Phone Number', 'Last Touched', 'Lead Score', 'Notes'] as const;

export type TeamRow = Partial<Record<(typeof TEAM_COLUMNS)[number], string | null>>;

export const TEAM_ROWS: TeamRow[] = [
  {
    'Contact ID': 'C-001',
    Name: 'Ada Lovelace',
    'E-mail': 'ada@analytical.io',
    'Company Name': 'Analytical Engines',
    LinkedIn: 'https://www.linkedin.com/in/ada-lovelace',
    'Phone Number': '+1 514 555 0101',
    'Last Touched': '2026-01-05T09:00:00.000Z',
    'Lead Score': '42',
    Notes: 'Met at the meetup',
  },
  {
    'Contact ID': 'C-002',
    Name: 'Grace Hopper',
    'E-mail': 'grace@cobol.dev',
    'Company Name': null,
    LinkedIn: 'linkedin.com/in/ghopper',
    'Phone Number': null,
    'Last Touched': '2026-01-06T10:30:00.000Z',
    'Lead Score': '7',
    Notes: null,
  },
  {
    'Contact ID': 'C-003',
    Name: 'Alan Turing',
    'E-mail': null,
    'Company Name': 'Bletchley Park',
    LinkedIn: null,
    'Phone Number': '(514) 555-0199',
    'Last Touched': '2026-01-07T11:00:00.000Z',
    'Lead Score': null,
    Notes: '',
  },
  {
    'Contact ID': 'C-004',
    Name: 'Katherine Johnson',
    'E-mail': 'kj@nasa.example.org',
    'Company Name': 'NASA',
    LinkedIn: 'https://ca.linkedin.com/in/kjohnson/',
    'Phone Number': '514.555.0142',
    'Last Touched': '2026-01-08T12:00:00.000Z',
    'Lead Score': '88',
    Notes: 'Call back in March',
  },
];

/** Creates `contacts` (no link column) in a new database file in `dir` and fills it with `rows`. */
export function teamDatabase(dir: string, rows: TeamRow[] = TEAM_ROWS, file = 'contacts.db'): string {
  const target = path.join(dir, file);
  const db = new Database(target);
  try {
    db.exec(`CREATE TABLE contacts (${TEAM_COLUMNS.map((c) => `"${c}" ${c === 'Contact ID' ? 'TEXT PRIMARY KEY NOT NULL' : 'TEXT'}`).join(', ')})`);
    const insert = db.prepare(`INSERT INTO contacts (${TEAM_COLUMNS.map((c) => `"${c}"`).join(', ')}) VALUES (${TEAM_COLUMNS.map(() => '?').join(', ')})`);
    for (const row of rows) insert.run(...TEAM_COLUMNS.map((c) => row[c] ?? null));
  } finally {
    db.close();
  }
  return target;
}

/** The team's Airtable table, for the emulator's `schema` option. */
export const PROSPECTS: TableSchema = {
  name: 'Prospects',
  fields: [
    { name: 'Contact', type: 'singleLineText' },
    { name: 'Work Email', type: 'email' },
    { name: 'Organisation', type: 'singleLineText' },
    { name: 'LinkedIn Profile', type: 'url' },
    { name: 'Phone', type: 'phoneNumber' },
    { name: 'Stage', type: 'singleSelect', choices: ['New', 'Contacted', 'Qualified', 'Lost'] },
    { name: 'Notes', type: 'multilineText' },
  ],
  views: [{ name: 'Grid view' }],
};

/** A few Prospects records, some of the same people as TEAM_ROWS. */
export const PROSPECT_RECORDS: Record<string, unknown>[] = [
  { Contact: 'Ada Lovelace', 'Work Email': 'ada@analytical.io', Organisation: 'Analytical Engines', Stage: 'Contacted' },
  {
    Contact: 'Hedy Lamarr',
    'Work Email': 'hedy@spread.example.com',
    Organisation: 'Spread Spectrum',
    'LinkedIn Profile': 'https://www.linkedin.com/in/hedy',
    Phone: '+1 438 555 0123',
    Stage: 'New',
    Notes: 'Inventor',
  },
];
