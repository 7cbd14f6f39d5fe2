import fs from 'node:fs';
import { StageError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import type { Lead } from '../core/record.js';
import { privateDatabaseFile } from '../safety/files.js';
import { openDatabase } from './open.js';
import { migrate } from './schema.js';
import { quoteIdent } from './table.js';
import { toCell } from './values.js';

/** One generated lead and the real-world person it stands for (duplicates share an entity). */
export interface GeneratedLead {
  record: Lead;
  entity: string;
}

const FIRST = [
  'Amélie',
  'Jean',
  'Priya',
  'François',
  'Zoë',
  'Hélène',
  'Marc',
  'Chloé',
  'David',
  'Noémie',
  'Jérôme',
  'Sarah',
  'Wei',
  'Olivier',
  'Fatima',
  'Luc',
];
const LAST = ['Tremblay', 'Côté', 'Gagnon', 'Roy', 'Bouchard', 'Smith', 'Nguyen', 'Shah', "O'Brien", 'Müller', 'Lavoie', 'Chen', 'Bélanger', 'Haddad'];
const COMPANY = [
  'Acme',
  'Globex',
  'Initech',
  'Sirius Analytics',
  'Axxess International',
  'Nordic Bay',
  'Flinks',
  'Giro',
  'Montréal Logistique',
  'CGI Partners',
  'Umbrella Health',
  'Pied Piper',
];
const SUFFIXES = [['Inc', 'Inc.', 'Incorporated', ', Inc.'], ['LLC', 'L.L.C.'], ['Corp', 'Corp.', 'Corporation'], ['Ltd', 'Ltd.', 'Limited'], ['']];
const TITLES = ['CEO', 'CTO', 'VP Sales', 'Head of Growth', 'Directeur général', 'Marketing Manager', 'Founder'];
const ENGAGEMENT = ['Auto-Send', 'auto_send', 'Needs Review', 'needs review', 'Sent', 'Manual Review', 'AUTO-SEND', null];
const STATUS = ['scraped', 'enriched', 'ready', 'contacted'];
const SOURCES = ['Search', 'Comment', 'serpapi'];

/** UTF-8 text read back as Latin-1: `é` becomes `Ã©`, as in the original database. */
function mojibake(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A legal suffix as written after a company name: `Acme Inc`, `Acme, Inc.`, or nothing. */
function withSpace(suffix: string): string {
  return suffix === '' || suffix.startsWith(',') ? suffix : ` ${suffix}`;
}

function slugOf(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/**
 * Generates `count` messy leads, deterministically from `seed`. About a quarter of the people
 * appear two or three times, each copy with the variants that defeated the original system's
 * matching: LinkedIn URLs with `ca.`/`www.`/trailing slash/query string, email case and
 * whitespace, company suffixes (`Inc`/`Inc.`/`Incorporated`), mojibake names, and copies that
 * lack fields the others have. Placeholder companies (`<Name> & Associates`, `Unknown Company`),
 * engagement status variants (`auto_send`) and missing values appear throughout.
 */
export function* generateSampleLeads(count: number, options: { seed?: number } = {}): Generator<GeneratedLead> {
  const rnd = seededRandom(options.seed ?? 1);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const chance = (p: number) => rnd() < p;
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rnd() * 4)]}${hex(3)}-${hex(12)}`;
  const base = Date.UTC(2025, 0, 1);
  let made = 0;
  for (let person = 0; made < count; person++) {
    const first = pick(FIRST);
    const last = pick(LAST);
    const name = `${first} ${last}`;
    const company = pick(COMPANY);
    const suffixes = pick(SUFFIXES);
    const domain = `${slugOf(company).replace(/-/g, '')}.com`;
    const slug = `${slugOf(name)}${chance(0.3) ? `-${Math.floor(rnd() * 900) + 100}` : ''}-${person}`;
    const email = `${slugOf(first)}.${slugOf(last)}${person}@${domain}`;
    const placeholder = chance(0.08) ? `${name} & Associates` : chance(0.02) ? 'Unknown Company' : undefined;
    const copies = chance(0.25) ? (chance(0.3) ? 3 : 2) : 1;
    const entity = `person-${person}`;
    for (let copy = 0; copy < copies && made < count; copy++, made++) {
      const dup = copy > 0;
      const created = base + Math.floor(rnd() * 300 * 86400_000);
      const updated = created + Math.floor(rnd() * 60 * 86400_000);
      const linkedin = pick([
        `https://www.linkedin.com/in/${slug}`,
        `https://ca.linkedin.com/in/${slug}/`,
        `https://linkedin.com/in/${slug}?trk=public_profile`,
        `http://www.linkedin.com/in/${slug}/`,
      ]);
      const record: Lead = {
        id: uuid(),
        name: dup && chance(0.3) ? mojibake(name) : dup && chance(0.2) ? name.toUpperCase() : name,
        email: chance(dup ? 0.25 : 0.12)
          ? null
          : dup && chance(0.5)
            ? chance(0.5)
              ? email.toUpperCase()
              : ` ${email[0]!.toUpperCase()}${email.slice(1)} `
            : email,
        company: placeholder ?? (chance(0.06) ? null : `${dup && chance(0.3) ? company.toUpperCase() : company}${withSpace(pick(suffixes))}`),
        title: chance(0.3) ? null : pick(TITLES),
        linkedin_url: chance(dup ? 0.3 : 0.15) ? null : linkedin,
        company_website: chance(0.35) ? null : pick([`www.${domain}`, `https://${domain}/`, `http://${domain.toUpperCase()}`, domain, `https://www.${domain}`]),
        phone: chance(0.45)
          ? null
          : pick([
              `(514) 555-${String(1000 + (person % 9000)).slice(-4)}`,
              `+1 514 555 ${String(1000 + (person % 9000)).slice(-4)}`,
              `514.555.${String(1000 + (person % 9000)).slice(-4)}`,
            ]),
        source: pick(SOURCES),
        status: pick(STATUS),
        engagement_status: pick(ENGAGEMENT),
        enriched: chance(0.4) ? 1 : 0,
        created_at: new Date(created).toISOString(),
        updated_at: new Date(updated).toISOString(),
      };
      yield { record, entity };
    }
  }
}

/**
 * Creates a new database with the default schema and `count` sample leads. Refuses to touch an
 * existing file: sample data must never land in someone's real lead database.
 */
export function createSampleDatabase(file: string, options: { count?: number; seed?: number } = {}): { path: string; count: number } {
  if (fs.existsSync(file) && fs.statSync(file).size > 0) {
    throw new StageError(
      'create-sample-db',
      `The file ${file} already exists; sample leads are only written to a new database. Choose another --out or remove the file.`,
    );
  }
  // Sample leads are lead data like any other: owner-only from the start.
  privateDatabaseFile(file);
  const db = openDatabase(file, { create: true, who: 'create-sample-db' });
  try {
    migrate(db, { file });
    const columns = db.prepare('SELECT name, type FROM pragma_table_info(?)').all('leads') as Array<{ name: string; type: string }>;
    const insert = db.prepare(`INSERT INTO leads (${columns.map((c) => quoteIdent(c.name)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    const insertMany = db.transaction((leads: Lead[]) => {
      for (const lead of leads)
        insert.run(columns.map((c) => (lead[c.name] === undefined ? toCell(defaultFor(c.name), c.type) : toCell(lead[c.name], c.type))));
    });
    let batch: Lead[] = [];
    let count = 0;
    for (const { record } of generateSampleLeads(options.count ?? 500, { seed: options.seed })) {
      batch.push(record);
      count++;
      if (batch.length === 1000) {
        insertMany(batch);
        batch = [];
      }
    }
    insertMany(batch);
    return { path: file, count };
  } finally {
    db.close();
  }
}

function defaultFor(column: string): unknown {
  return column === 'sync_status' ? 'pending' : null;
}

/**
 * Creates `file` with sample leads when it does not exist (the embedded default's first run); true
 * when it did. The file is private (0600): it is built under another name and renamed into place
 * whole, so a run never finds half a sample.
 */
export function ensureSampleDatabase(file: string, options: { count?: number; seed?: number } = {}): boolean {
  if (fs.existsSync(file)) {
    privateDatabaseFile(file);
    return false;
  }
  const building = `${file}.${process.pid}.building`;
  fs.rmSync(building, { force: true });
  createSampleDatabase(building, options);
  fs.renameSync(building, file);
  return true;
}
