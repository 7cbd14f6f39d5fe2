import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../lib/core/config.js';
import { ConfigError } from '../../../lib/core/errors.js';
import { maintenancePipeline } from '../../../lib/maintenance/commands.js';
import { findUserConfig, ownDataProblem } from '../../../lib/maintenance/user-config.js';
import { tempDir } from '../../helpers.js';

/** The problems a configuration file has, as the user sees them (positions relative to `dir`). */
function problems(file: string, dir: string): string[] {
  try {
    loadConfig(file, path.relative(dir, file));
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
}

const MAPPING = `field_mapping:
  database_to_airtable: { name: Contact, email: Work Email, company: Organisation }
  airtable_to_database: { Contact: name, Work Email: email, Organisation: company }
  local: { table: contacts, id_column: Contact ID, modified_column: null, created_column: null, columns: { E-mail: email } }
`;

describe('user configuration', () => {
  it('is the file given, else ./lead-maintenance.yaml in the working directory, else none (the bundled defaults)', () => {
    const dir = tempDir();
    expect(findUserConfig(undefined, dir)).to.equal(undefined);
    fs.writeFileSync(path.join(dir, 'lead-maintenance.yaml'), 'maintenance_config: {}\n');
    expect(findUserConfig(undefined, dir)).to.equal(path.join(dir, 'lead-maintenance.yaml'));
    expect(findUserConfig('other.yaml', dir)).to.equal(path.join(dir, 'other.yaml'));
  });

  it('takes the bundled default for every setting it leaves out (deep merge; lists replaced whole)', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lead-maintenance.yaml');
    fs.writeFileSync(file, 'maintenance_config:\n  synchronization: { airtable: { table: Prospects } }\n  duplicate_detection: { matching_fields: [email] }\n');
    const config = loadConfig(file);
    expect(config.values).to.have.nested.property('synchronization.airtable.table', 'Prospects');
    expect(config.values).to.have.nested.property('synchronization.airtable.requests_per_second', 5);
    expect(config.values).to.have.nested.property('synchronization.conflict_resolution', 'most_recent');
    expect((config.values.duplicate_detection as { matching_fields: string[] }).matching_fields).to.deep.equal(['email']);
    expect(config.values).to.have.nested.property('backup.retention_days', 30);
    // A value the file gives points into it; one it left out, into the bundled file.
    expect(config.locate('synchronization.airtable.table')).to.deep.include({ file, line: 2 });
    expect(config.locate('backup.retention_days')?.file).to.equal('config/maintenance.yaml');
  });

  it('carries the Airtable table and its own field mapping to every stage of a maintenance pipeline', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lead-maintenance.yaml');
    fs.writeFileSync(file, `maintenance_config:\n  synchronization: { airtable: { table: Prospects } }\n${MAPPING}`);
    const pipeline = maintenancePipeline('full-maintenance', { configFile: file, env: { LEADS_DB: path.join(dir, 'leads.db'), LEADS_DATA_DIR: dir } });
    const options = (stage: string) => pipeline.steps.find((s) => s.stage.name === stage)!.options;
    for (const stage of ['read-airtable', 'write-airtable', 'validate']) expect(options(stage).table, stage).to.equal('Prospects');
    for (const stage of ['read-sqlite', 'read-airtable', 'diff', 'write-airtable', 'write-sqlite', 'validate'])
      expect(options(stage).field_mapping, stage).to.equal(file);
  });

  it('reads a field_mapping_file relative to itself and points its problems into it', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'conf'));
    const file = path.join(dir, 'conf', 'settings.yaml');
    fs.writeFileSync(file, 'field_mapping_file: mapping.yaml\n');
    fs.writeFileSync(path.join(dir, 'conf', 'mapping.yaml'), MAPPING);
    expect(loadConfig(file).fieldMappingFile).to.equal(path.join(dir, 'conf', 'mapping.yaml'));
    fs.writeFileSync(path.join(dir, 'conf', 'mapping.yaml'), MAPPING.replace('local: {', 'locale: {'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(problems(file, dir)).to.deep.equal(["conf/mapping.yaml:4:3 field_mapping.locale: Unknown key 'locale'. Did you mean 'local'?"]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('reports every problem of the file at its file:line:col, the mapping held inline included', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lead-maintenance.yaml');
    fs.writeFileSync(
      file,
      [
        'maintenance_config:',
        '  synchronization: { airtable: { tabel: Prospects } }',
        'field_mapping:',
        '  database_to_airtable: { email: "" }',
        '  airtable_to_database: {}',
        'field_maping_file: x.yaml',
        '',
      ].join('\n'),
    );
    expect(problems(file, dir)).to.deep.equal([
      'lead-maintenance.yaml:2:34 maintenance_config.synchronization.airtable.tabel: unknown key (did you mean "table"?); known keys: table, delete_mode, archive_field, archive_value, requests_per_second, rate_limit_penalty_seconds, request_timeout_seconds',
      "lead-maintenance.yaml:4:34 field_mapping.database_to_airtable.email: The field name for 'email' must be a non-empty string.",
      'lead-maintenance.yaml:6:1 field_maping_file: unknown key (did you mean "field_mapping_file"?); a configuration file has maintenance_config, field_mapping, field_mapping_file',
    ]);
  });

  it('refuses a mapping given both inline and as a file', () => {
    const dir = tempDir();
    const file = path.join(dir, 'lead-maintenance.yaml');
    fs.writeFileSync(file, `field_mapping_file: mapping.yaml\n${MAPPING}`);
    expect(problems(file, dir)).to.deep.equal([
      'lead-maintenance.yaml:1:1 field_mapping_file: give the field mapping here (field_mapping:) or name its file (field_mapping_file:), not both',
    ]);
  });
});

describe('own data settings', () => {
  it('with nothing set, says how to start: sample data, --init, the three variables', () => {
    const message = ownDataProblem({})!;
    expect(message).to.contain('--sample').and.contain('--init').and.contain('AIRTABLE_TOKEN').and.contain('AIRTABLE_BASE_ID').and.contain('LEADS_DB');
  });

  it('with some set, names what is missing, and the token names other tools use', () => {
    expect(ownDataProblem({ LEADS_DB: 'real.db' })).to.match(
      /^Your own data is only partly configured: AIRTABLE_TOKEN and AIRTABLE_BASE_ID are not set \(LEADS_DB is\)/,
    );
    expect(ownDataProblem({ LEADS_DB: 'real.db', AIRTABLE_BASE_ID: 'appX', AIRTABLE_KEY: 'secret-value' }))
      .to.contain('AIRTABLE_TOKEN is not set')
      .and.contain('AIRTABLE_KEY is set: other Airtable tools use that name')
      .and.not.contain('secret-value');
    expect(ownDataProblem({ LEADS_DB: 'real.db', AIRTABLE_BASE_ID: 'appX', AIRTABLE_TOKEN: 'pat' })).to.equal(undefined);
    expect(ownDataProblem({ LEADS_DB: 'real.db' }, ['LEADS_DB'])).to.equal(undefined);
  });
});
