import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { generateLeads, type GeneratedLead } from '../../bench/generate-leads.js';
import { MESS_KINDS, misread } from '../../bench/messy-profile.js';
import { profilesFromEnv } from '../../bench/scale.js';
import { ROOT } from '../helpers.js';

const FREE_MAIL = new Set(['gmail.com', 'yahoo.com', 'hotmail.com', 'outlook.com']);
const messy = (count: number, seed = 42): GeneratedLead[] => [...generateLeads(count, { seed, profile: 'messy' })];
const text = (lead: GeneratedLead): string => JSON.stringify(lead.record);

describe('the lead generator, messy profile', () => {
  const leads = messy(20_000);

  it('gives the same records for the same seed, and others for another seed', () => {
    expect(messy(3_000).map(text)).to.deep.equal(messy(3_000).map(text));
    expect(messy(3_000, 43).map(text)).to.not.deep.equal(messy(3_000).map(text));
  });

  it('is the plain profile made worse: the same people, ids and ground truth, and the plain profile is left as it was', () => {
    const plain = [...generateLeads(20_000, { seed: 42 })];
    expect(plain.every((lead) => lead.mess === undefined)).to.equal(true);
    expect(leads.map((l) => l.entity)).to.deep.equal(plain.map((l) => l.entity));
    expect(leads.map((l) => l.record.id)).to.deep.equal(plain.map((l) => l.record.id));
    const untouched = leads.filter((l, i) => l.mess!.length === 0 && text(l) === text(plain[i]!)).length;
    expect(untouched, 'records without mess are their plain twins').to.equal(leads.filter((l) => l.mess!.length === 0).length);
  });

  it('puts every kind of mess in a few thousand records', () => {
    const seen = new Map<string, number>();
    for (const lead of leads) for (const kind of lead.mess!) seen.set(kind, (seen.get(kind) ?? 0) + 1);
    for (const kind of MESS_KINDS) expect(seen.get(kind) ?? 0, kind).to.be.greaterThan(20);
  });

  it('holds the mess itself, not only its tags', () => {
    const all = leads.map(text).join('\n');
    for (const [what, pattern] of [
      ['mojibake', /Ã©|Ã¨|Ã§/],
      ['zero-width space', /\u200b/],
      ['soft hyphen', /\u00ad/],
      ['no-break space', /\u00a0/],
      ['byte-order mark', /\ufeff/],
      ['a phone extension', /"phone":"[^"]*(?:x|ext\.?|poste|#)\s*\d+"/],
      ['a 00 prefix', /"phone":"00/],
      ['a phone as a number', /"phone":\d{10,11}[,}]/],
      ['tracking parameters', /utm_source=|fbclid=/],
      ['an upper-case URL', /HTTPS:\/\//],
      ['GmbH', /GmbH/],
      ['S.A.', /S\.A\./],
      ['Incorporated', /Incorporated/],
      ['a spelled-out title', /Vice President|Chief Executive Officer/],
      ['a title with Sr.', /Sr\. /],
      ['a bad email', /"email":"[^"@]*@@|"email":"mailto:/],
      ['a day-first or month-first date', /"(?:created|updated)_at":"\d{1,2}\/\d{1,2}\/\d{4}"/],
      ['a date in words', /"(?:created|updated)_at":"[A-Z][a-z]+ \d{1,2}, \d{4}"/],
      ['an empty string', /"(?:email|company|title|phone|company_website)":""/],
      ['a whitespace-only value', /"(?:email|company|title|phone|company_website)":"\s+"/],
    ] as const) {
      expect(pattern.test(all), what).to.equal(true);
    }
  });

  it('puts a few employers far above all the others', () => {
    const byDomain = new Map<string, number>();
    for (const { record } of leads) {
      const email = typeof record.email === 'string' ? record.email : '';
      const domain = /@([a-z0-9.-]+\.[a-z]+)$/i.exec(email.trim())?.[1]?.toLowerCase();
      if (domain && !FREE_MAIL.has(domain)) byDomain.set(domain, (byDomain.get(domain) ?? 0) + 1);
    }
    const sizes = [...byDomain.values()].sort((a, b) => b - a);
    // At 20,000 leads each big employer has about a hundred people with a work address; at a million, thousands.
    expect(
      sizes.slice(0, 5).every((n) => n > 60),
      String(sizes.slice(0, 6)),
    ).to.equal(true);
    const median = sizes[sizes.length >> 1]!;
    expect(sizes[4], 'the fifth largest employer against the median one').to.be.greaterThan(10 * median);
  });

  it('misreads UTF-8 as Latin-1 or as cp1252, as exports do', () => {
    expect(misread('Émilie Côté', 'cp1252')).to.equal('Ã‰milie CÃ´tÃ©');
    expect(misread('Émilie Côté', 'latin1')).to.equal('Ã\u0089milie CÃ´tÃ©');
  });

  it('is chosen on the command line, and a wrong profile is refused with the ones there are', () => {
    const cli = path.join(ROOT, 'dist', 'bench', 'generate-leads.js');
    const run = spawnSync(process.execPath, [cli, '50', '--seed', '42', '--profile', 'messy'], { encoding: 'utf8' });
    expect(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
    ).to.deep.equal(messy(50).map((l) => l.record));
    const wrong = spawnSync(process.execPath, [cli, '5', '--profile', 'dirty'], { encoding: 'utf8' });
    expect(wrong.status).to.equal(2);
    expect(wrong.stderr).to.contain('plain, messy');
  });

  it('BENCH_PROFILE picks the profiles the bench runs: both by default, an unknown one is refused', () => {
    expect(profilesFromEnv(undefined)).to.deep.equal(['plain', 'messy']);
    expect(profilesFromEnv('messy')).to.deep.equal(['messy']);
    expect(() => profilesFromEnv('plain,dirty')).to.throw('unknown profile(s) dirty');
  });
});
