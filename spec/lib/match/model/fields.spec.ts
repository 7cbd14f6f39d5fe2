import { expect } from 'chai';
import { defaultComparisonType, fieldSpecsOf } from '../../../../lib/match/model/fields.js';

describe('match/model/fields', () => {
  it("compares a lead's fields and extra columns by what their names say they hold", () => {
    const types = [
      'name',
      'email',
      'phone',
      'company',
      'company_website',
      'linkedin_url',
      'title',
      'location',
      'date_of_birth',
      'soc_sec_id',
      'surname',
      'mobile_phone',
    ].map((field) => `${field}: ${defaultComparisonType(field)}`);
    expect(types).to.deep.equal([
      'name: name',
      'email: email',
      'phone: phone',
      'company: text',
      'company_website: url',
      'linkedin_url: url',
      'title: text',
      'location: address',
      'date_of_birth: date',
      'soc_sec_id: exact',
      'surname: name',
      'mobile_phone: phone',
    ]);
  });

  it('takes a declared type over the default', () => {
    expect(fieldSpecsOf(['name', 'member_ref'], { member_ref: 'exact', name: 'text' }).specs).to.deep.equal([
      { field: 'name', type: 'text' },
      { field: 'member_ref', type: 'exact' },
    ]);
  });

  it('says which declaration is wrong and how to fix it', () => {
    const { problems } = fieldSpecsOf(['name', 'location'], { location: 'adress', dob: 'date' });
    expect(problems).to.deep.equal([
      { path: 'field_comparisons.location', message: 'must be one of exact, name, text, address, date, phone, email, url, not "adress"' },
      { path: 'field_comparisons.dob', message: 'is not a compared field; compare it by adding it to the fields (name, location)' },
    ]);
  });
});
