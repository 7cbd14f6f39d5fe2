import { expect } from 'chai';
import { generateLeads } from '../../bench/generate-leads.js';
import { emailKey, isFreeMail, linkedinKey } from '../../lib/match/keys.js';

describe('the lead generator, ground truth', () => {
  it('never gives two people one LinkedIn profile or one personal mailbox, namesakes included', () => {
    // Enough leads that namesakes are common (the pools hold 14,000 names).
    const owners = new Map<string, string>();
    const clashes: string[] = [];
    let namesakes = 0;
    const byName = new Map<string, string>();
    for (const { record, entity } of generateLeads(30_000, { seed: 7 })) {
      const name = typeof record.name === 'string' ? record.name.trim().toLowerCase() : '';
      if (name && byName.has(name) && byName.get(name) !== entity) namesakes++;
      if (name) byName.set(name, entity);
      const slug = typeof record.linkedin_url === 'string' ? linkedinKey(record.linkedin_url) : undefined;
      const email = typeof record.email === 'string' ? emailKey(record.email) : undefined;
      for (const key of [slug && `linkedin:${slug}`, email && isFreeMail(email) && `email:${email}`]) {
        if (!key) continue;
        if (owners.has(key) && owners.get(key) !== entity) clashes.push(`${key}: ${owners.get(key)} and ${entity}`);
        owners.set(key, entity);
      }
    }
    expect(namesakes, 'the set holds namesakes').to.be.greaterThan(500);
    expect(clashes).to.deep.equal([]);
  });
});
