import { expect } from 'chai';
import { columnShape, shapeOf } from '../../../../lib/maintenance/init/shapes.js';

describe('lib/init/shapes', () => {
  it('recognizes emails, LinkedIn URLs, other URLs, phone numbers, dates and numbers', () => {
    const expected: Array<[unknown, string]> = [
      ['ada@analytical.io', 'email'],
      ['GRACE@COBOL.DEV', 'email'],
      ['https://www.linkedin.com/in/ada', 'linkedin_url'],
      ['ca.linkedin.com/in/kj/', 'linkedin_url'],
      ['https://acme.io/about', 'url'],
      ['www.acme.co.uk', 'url'],
      ['acme.io', 'url'],
      ['+1 514 555 0101', 'phone'],
      ['(514) 555-0199', 'phone'],
      ['514.555.0142', 'phone'],
      ['5145550101', 'phone'],
      ['555-0101 ext. 12', 'phone'],
      ['2026-01-05', 'date'],
      ['2026-01-05T09:00:00.000Z', 'date'],
      ['2026-01-05 09:00', 'date'],
      ['01/07/2026', 'date'],
      ['42', 'number'],
      [7, 'number'],
      ['3.5', 'number'],
      ['1234567', 'number'],
      ['recAOqcplYsvFBPko', 'airtable_id'],
      ['Ada Lovelace', 'text'],
      ['Acme Inc.', 'text'],
    ];
    for (const [value, shape] of expected) expect(shapeOf(value), String(value)).to.equal(shape);
  });

  it('gives a column the shape of most of its values, leaving NULLs and empties out', () => {
    expect(columnShape(['a@b.io', null, '', 'c@d.io', 'e@f.io', 'g@h.io', 'not an email'])).to.equal('email');
    expect(columnShape(['a@b.io', 'x', 'y'])).to.equal('text');
    expect(columnShape([null, '', '  '])).to.equal(undefined);
    // Websites with a few LinkedIn pages among them are still URLs, not LinkedIn's.
    expect(columnShape(['acme.io', 'https://b.io', 'c.io', 'https://www.linkedin.com/company/d', 'e.io'])).to.equal('url');
  });
});
