import { expect } from 'chai';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_TOKEN } from '../../../../lib/airtable-emulator/index.js';
import { loadFieldMapping } from '../../../../lib/core/field-mapping.js';
import { init } from '../../../../lib/maintenance/init/index.js';
import { tempDir } from '../../../helpers.js';
import { PROSPECTS, teamDatabase } from '../../../scenarios/team.js';
import { emulator } from '../../airtable/setup.js';

describe('lib/init', function () {
  this.timeout(20_000);

  it('asks which table when the database and the base have several, and maps the ones picked', async () => {
    const dir = tempDir('init-');
    const db = teamDatabase(dir);
    const handle = new Database(db);
    handle.exec('CREATE TABLE archive (id INTEGER PRIMARY KEY, email TEXT)');
    handle.close();
    const em = await emulator({ schema: { tables: [{ name: 'Companies', fields: [{ name: 'Name', type: 'singleLineText' }] }, PROSPECTS] } });
    try {
      const asked: Array<{ question: string; choices: readonly string[] }> = [];
      const printed: string[] = [];
      const result = await init({
        env: { LEADS_DB: db, AIRTABLE_TOKEN: DEFAULT_TOKEN, AIRTABLE_BASE_ID: em.baseId, AIRTABLE_ENDPOINT_URL: em.url },
        cwd: dir,
        ask: async (question, choices) => {
          asked.push({ question, choices });
          return choices.includes('contacts') ? 'contacts' : 'Prospects';
        },
        print: (text) => printed.push(text),
      });
      expect(asked).to.deep.equal([
        { question: `The database ${db} has 2 tables. Which one holds the leads?`, choices: ['archive', 'contacts'] },
        { question: `The Airtable base ${em.baseId} has 2 tables. Which one holds the leads?`, choices: ['Companies', 'Prospects'] },
      ]);
      expect(result.file).to.equal(path.join(dir, 'lead-maintenance.yaml'));
      expect(loadFieldMapping(result.file).local.table).to.equal('contacts');
      expect(fs.readFileSync(result.file, 'utf8')).to.contain('table: "Prospects"');
      expect(printed.join('')).to.contain('Wrote lead-maintenance.yaml');
    } finally {
      await em.close();
    }
  });

  it('maps a table whose columns are named in German, and its Airtable fields in French, by their names', async () => {
    const dir = tempDir('init-');
    const db = path.join(dir, 'kunden.db');
    const handle = new Database(db);
    handle.exec(
      'CREATE TABLE "Kontakte" ("Kontakt-ID" INTEGER PRIMARY KEY, "Vollständiger Name" TEXT, "E-Mail-Adresse" TEXT, "Firma" TEXT, "Funktion" TEXT, "Telefon" TEXT, "Webseite" TEXT, "Notizen" TEXT, "Geändert am" TEXT, "Erstellt am" TEXT)',
    );
    // Values that say nothing by their shape, so only the names can map them.
    handle
      .prepare('INSERT INTO "Kontakte" VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run('Jörg Müller', 'n/a', 'Müller GmbH', 'CEO', 'n/a', 'n/a', 'Rückruf', '2026-01-02', '2026-01-01');
    handle.close();
    const prospects = {
      name: 'Prospects',
      fields: [
        { name: 'Nom complet', type: 'singleLineText' },
        { name: 'Courriel', type: 'singleLineText' },
        { name: 'Société', type: 'singleLineText' },
        { name: 'Fonction', type: 'singleLineText' },
        { name: 'Téléphone', type: 'singleLineText' },
        { name: 'Site web', type: 'singleLineText' },
        { name: 'Remarques', type: 'multilineText' },
      ],
    };
    const em = await emulator({ schema: { tables: [prospects] } });
    try {
      const result = await init({
        env: { LEADS_DB: db, AIRTABLE_TOKEN: DEFAULT_TOKEN, AIRTABLE_BASE_ID: em.baseId, AIRTABLE_ENDPOINT_URL: em.url },
        cwd: dir,
        ask: async () => {
          throw new Error('one table on each side: nothing to ask');
        },
        print: () => {},
      });
      const mapping = loadFieldMapping(result.file);
      expect(mapping.local.columns).to.deep.equal({
        'Vollständiger Name': 'name',
        'E-Mail-Adresse': 'email',
        Firma: 'company',
        Funktion: 'title',
        Telefon: 'phone',
        Webseite: 'company_website',
        Notizen: 'notes',
      });
      expect([mapping.local.id_column, mapping.local.modified_column, mapping.local.created_column]).to.deep.equal([
        'Kontakt-ID',
        'Geändert am',
        'Erstellt am',
      ]);
      expect(mapping.database_to_airtable).to.deep.equal({
        name: 'Nom complet',
        email: 'Courriel',
        company: 'Société',
        title: 'Fonction',
        phone: 'Téléphone',
        company_website: 'Site web',
        notes: 'Remarques',
      });
    } finally {
      await em.close();
    }
  });
});
