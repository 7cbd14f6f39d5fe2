import { expect } from 'chai';
import { ConfigError } from '../../../lib/core/errors.js';
import { loadFieldMapping, parseFieldMapping } from '../../../lib/core/field-mapping.js';

function problems(text: string): string[] {
  try {
    parseFieldMapping(text, 'mapping.yaml');
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return (error as Error).message.split('\n');
  }
  throw new Error('expected a ConfigError');
}

describe('lib/field-mapping', () => {
  it("maps canonical fields to the real Airtable base's field names", () => {
    const mapping = loadFieldMapping();
    expect(mapping.database_to_airtable).to.include({
      name: 'Full Name',
      title: 'Job Title',
      linkedin_url: 'LinkedIn URL',
      company_website: 'Website',
      engagement_status: 'Engagement_Status',
    });
    expect(mapping.database_to_airtable).to.not.have.property('status');
    expect(mapping.airtable_to_database.Engagement_Status).to.equal('engagement_status');
    expect(mapping.local).to.deep.equal({ table: 'leads', id_column: 'id', modified_column: 'updated_at', created_column: 'created_at', columns: {} });
  });

  it('maps fields and Airtable names like Object.prototype members as ordinary names, __proto__ included', () => {
    const mapping = parseFieldMapping(
      [
        'field_mapping:',
        '  database_to_airtable: { notes: toString, __proto__: Proto, name: Full Name }',
        '  airtable_to_database: { Full Name: name, constructor: ctor }',
      ].join('\n'),
      'mapping.yaml',
    );
    expect(Object.getOwnPropertyDescriptor(mapping.database_to_airtable, '__proto__')?.value).to.equal('Proto');
    expect(Object.getOwnPropertyDescriptor(mapping.database_to_airtable, 'notes')?.value).to.equal('toString');
    expect(Object.getOwnPropertyDescriptor(mapping.airtable_to_database, 'constructor')?.value).to.equal('ctor');
  });

  it('reads the local section of a drifted database', () => {
    const mapping = parseFieldMapping(
      [
        'field_mapping:',
        '  database_to_airtable: { name: Full Name }',
        '  airtable_to_database: { Full Name: name }',
        '  local:',
        '    table: contacts',
        '    modified_column: null',
        '    columns: { full_name: name }',
      ].join('\n'),
      'mapping.yaml',
    );
    expect(mapping.local).to.deep.equal({
      table: 'contacts',
      id_column: 'id',
      modified_column: null,
      created_column: 'created_at',
      columns: { full_name: 'name' },
    });
  });

  it('points at an unknown key with its line and column and suggests the near one', () => {
    expect(
      problems(
        ['field_mapping:', '  database_to_airtable: { name: Full Name }', '  airtable_to_database: { Full Name: name }', '  local:', '    tabel: leads'].join(
          '\n',
        ),
      ),
    ).to.deep.equal(["mapping.yaml:5:5 field_mapping.local.tabel: Unknown key 'tabel'. Did you mean 'table'?"]);
  });

  it('reports every problem at once: empty names, sections that disagree, two columns on one field', () => {
    expect(
      problems(
        [
          'field_mapping:',
          '  database_to_airtable:',
          '    status: Engagement_Status',
          '    email: ""',
          '  airtable_to_database:',
          '    Engagement_Status: engagement_status',
          '  local:',
          '    columns: { full_name: name, fullname: name }',
        ].join('\n'),
      ),
    ).to.deep.equal([
      "mapping.yaml:4:12 field_mapping.database_to_airtable.email: The field name for 'email' must be a non-empty string.",
      "mapping.yaml:3:13 field_mapping.database_to_airtable.status: 'status' goes to Airtable field 'Engagement_Status', but airtable_to_database maps 'Engagement_Status' back to 'engagement_status'. Make the two sections agree.",
      "mapping.yaml:8:33 field_mapping.local.columns.fullname: Columns 'full_name' and 'fullname' both map to field 'name'. Map each column to its own field.",
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const [first] = problems('field_mapping:\n  database_to_airtable: { name: "Full Name }\n');
    expect(first).to.match(/^mapping\.yaml:\d+:\d+ Missing closing "quote/);
  });

  it('says what the file must hold when field_mapping is missing', () => {
    expect(problems('mapping: {}\n')).to.deep.equal([
      'mapping.yaml:1:1 field_mapping: The file must hold a field_mapping: map with database_to_airtable, airtable_to_database and local.',
    ]);
  });
});
