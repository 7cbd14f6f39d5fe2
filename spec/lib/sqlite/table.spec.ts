import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import Database from 'better-sqlite3';
import { ConfigError } from '../../../lib/core/errors.js';
import { migrate } from '../../../lib/sqlite/schema.js';
import { quoteIdent, resolveTable } from '../../../lib/sqlite/table.js';
import { DEFAULT_LOCAL_MAPPING } from '../../../lib/core/field-mapping.js';
import { packageRoot } from './support.js';

const fixture = (name: string) => fs.readFileSync(path.join(packageRoot(), 'spec/fixtures/sqlite', name), 'utf8');
const where = { stage: 'read-sqlite', file: 'old.db' };

describe('lib/sqlite/table', () => {
  let db: Database.Database;
  beforeEach(() => {
    db = new Database(':memory:');
  });
  afterEach(() => db.close());

  it('maps every column of the default schema to the field of the same name, bookkeeping columns aside', () => {
    migrate(db);
    const map = resolveTable(db, DEFAULT_LOCAL_MAPPING, where);
    expect(map).to.include({ idColumn: 'id', modifiedColumn: 'updated_at', createdColumn: 'created_at', idIsInteger: false });
    expect(map.columnOf.get('email')).to.equal('email');
    expect([...map.fieldOf.keys()]).to.not.include.members(['id', 'created_at', 'updated_at']);
  });

  it('renames drifted columns to canonical fields and keeps unmapped ones under their own names', () => {
    db.exec(fixture('drifted-leads.sql'));
    const map = resolveTable(db, { ...DEFAULT_LOCAL_MAPPING, columns: { full_name: 'name', name: 'legacy_name', job_title: 'title' } }, where);
    expect(map.columnOf.get('name')).to.equal('full_name');
    expect(map.columnOf.get('legacy_name')).to.equal('name');
    expect(map.columnOf.get('title')).to.equal('job_title');
    expect(map.columnOf.get('raw_data')).to.equal('raw_data');
  });

  it("names the table's actual columns when a mapped column is missing", () => {
    db.exec(fixture('drifted-leads.sql'));
    const mapping = { ...DEFAULT_LOCAL_MAPPING, modified_column: 'last_modified', columns: { fullname: 'name' } };
    let error: unknown;
    try {
      resolveTable(db, mapping, where);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(ConfigError);
    const { issues } = error as ConfigError;
    expect(issues.map((i) => i.path)).to.deep.equal(['read-sqlite.modified_column', 'read-sqlite.columns.fullname']);
    expect(issues[0]!.message).to.equal(
      "Table 'leads' in old.db has no column 'last_modified'; its columns are: id, uuid, full_name, name, email, company, job_title, linkedin_url, needs_enrichment, airtable_synced, raw_data, engagement_status, created_at, updated_at. Fix config/field-mapping.yaml (local.modified_column) or the step's options.",
    );
  });

  it('reports two columns mapped to one field', () => {
    db.exec(fixture('drifted-leads.sql'));
    expect(() => resolveTable(db, { ...DEFAULT_LOCAL_MAPPING, columns: { full_name: 'name' } }, where)).to.throw(
      "Columns 'full_name' and 'name' of table 'leads' both map to field 'name'. Map one of them to another field in config/field-mapping.yaml (local.columns), e.g. full_name: full_name_legacy.",
    );
  });

  it('lists the tables when the table is missing', () => {
    db.exec(fixture('unicode-columns.sql'));
    expect(() => resolveTable(db, DEFAULT_LOCAL_MAPPING, where)).to.throw(`The database old.db has no table 'leads'; its tables are: lead "list".`);
  });

  it('finds columns whatever their case, as SQLite does', () => {
    db.exec(fixture('drifted-leads.sql'));
    const map = resolveTable(db, { ...DEFAULT_LOCAL_MAPPING, id_column: 'ID', columns: { Full_Name: 'name', NAME: 'legacy_name' } }, where);
    expect(map.idColumn).to.equal('id');
    expect(map.columnOf.get('name')).to.equal('full_name');
  });

  it('quotes identifiers holding quotes', () => {
    expect(quoteIdent('lead "list"')).to.equal('"lead ""list"""');
  });
});
