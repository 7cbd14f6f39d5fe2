import { expect } from 'chai';
import Database from 'better-sqlite3';
import { CANONICAL_FIELDS, fieldByKeyword, fieldByName, isIdName, NOT_PROPOSED } from '../../../../lib/maintenance/init/names.js';
import { migrate } from '../../../../lib/sqlite/schema.js';
import { tableColumns } from '../../../../lib/sqlite/table.js';

describe('lib/init/names', () => {
  it('knows the names teams give the lead fields, whatever their case, spaces and punctuation', () => {
    const expected: Record<string, string> = {
      'E-mail': 'email',
      'Email Address': 'email',
      'Work Email': 'email',
      WORK_EMAIL: 'email',
      ' work-email ': 'email',
      emailAddress: 'email',
      'Company Name': 'company',
      Organisation: 'company',
      Organization: 'company',
      'company.name': 'company',
      Contact: 'name',
      'Full Name': 'name',
      full_name: 'name',
      Name: 'name',
      LinkedIn: 'linkedin_url',
      'LinkedIn Profile': 'linkedin_url',
      'LinkedIn URL': 'linkedin_url',
      linkedin_url: 'linkedin_url',
      'Phone Number': 'phone',
      Téléphone: 'phone',
      Mobile: 'phone',
      'Job Title': 'title',
      job: 'title',
      Role: 'title',
      Website: 'company_website',
      'Lead Score': 'lead_score',
      Notes: 'notes',
      Engagement_Status: 'engagement_status',
    };
    for (const [name, field] of Object.entries(expected)) expect(fieldByName(name), name).to.equal(field);
  });

  it('gives no field to names that mean something else', () => {
    for (const name of ['Status', 'Last Touched', 'Contact ID', 'Email_Confidence_Level', 'Stage', 'airtable_id'])
      expect(fieldByName(name), name).to.equal(undefined);
  });

  it('finds the word for a field inside a longer name', () => {
    expect(fieldByKeyword('Primary Email')).to.equal('email');
    expect(fieldByKeyword('Mobile Phone 2')).to.equal('phone');
    expect(fieldByKeyword('LinkedIn (old)')).to.equal('linkedin_url');
    expect(fieldByKeyword('Remarks')).to.equal(undefined);
  });

  it('tells id columns from words that end in "id"', () => {
    for (const name of ['id', 'Contact ID', 'lead_id', 'leadId', 'uuid']) expect(isIdName(name), name).to.equal(true);
    for (const name of ['Paid', 'Valid', 'Airtable ID', 'record_id', 'Android']) expect(isIdName(name), name).to.equal(false);
  });

  it("proposes exactly the bundled schema's data columns, and none of its bookkeeping", () => {
    const db = new Database(':memory:');
    migrate(db);
    const columns = tableColumns(db, 'leads').map((c) => c.name);
    db.close();
    expect([...CANONICAL_FIELDS, ...NOT_PROPOSED].sort()).to.deep.equal([...columns].sort());
  });
});
