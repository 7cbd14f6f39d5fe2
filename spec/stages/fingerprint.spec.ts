import { expect } from 'chai';
import fs from 'node:fs';
import type { Lead } from '../../lib/core/record.js';
import { fixture, runStage } from '../helpers.js';

function readFixture(name: string): Lead[] {
  return fs
    .readFileSync(fixture('match', name), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

async function keysOf(records: Lead[], options: Record<string, unknown> = {}): Promise<Array<Record<string, string>>> {
  const { output } = await runStage('fingerprint', options, records);
  return output.map((r) => r._meta!.keys as Record<string, string>);
}

describe('fingerprint', () => {
  it('gives every LinkedIn URL variant of one profile the same key, and changes no field', async () => {
    const records = readFixture('linkedin-variants.jsonl');
    const { output } = await runStage('fingerprint', {}, structuredClone(records));
    expect(output.map((r) => r._meta!.keys!.linkedin)).to.deep.equal(['jean-tremblay-4b2a', 'jean-tremblay-4b2a', 'jean-tremblay-4b2a', 'marie-gagnon-77']);
    output.forEach((record, i) => {
      const { _meta, ...fields } = record;
      expect(fields).to.deep.equal(records[i]);
    });
  });

  it('matches emails without case, spaces, www. hosts, and the dots and +tags Gmail ignores', async () => {
    const keys = await keysOf(readFixture('email-case.jsonl'));
    expect(keys.map((k) => k.email)).to.deep.equal([
      'sophie.roy@kinetik.ca',
      'sophie.roy@kinetik.ca',
      'sophie.roy@kinetik.ca',
      'paulmartin@gmail.com',
      'paulmartin@gmail.com',
    ]);
  });

  it('keeps the dots of providers that do not ignore them, dropping only the +tag', async () => {
    const [key] = await keysOf([{ email: 'Jean.Roy+crm@outlook.com' }]);
    expect(key!.email).to.equal('jean.roy@outlook.com');
  });

  it('gives no key for empty, placeholder, role and test values', async () => {
    const keys = await keysOf(readFixture('missing-email.jsonl'));
    expect(keys.map((k) => k.email ?? null)).to.deep.equal([null, null, null, null, null, null, null, null]);
    expect(keys.map((k) => k.linkedin ?? null)).to.deep.equal([null, null, null, null, null, null, null, null]);
    const [unknown, placeholder] = await keysOf([{ company: 'Unknown Company' }, { name: 'Jean Tremblay', company: 'Jean Tremblay & Associates' }]);
    expect(unknown).to.not.have.property('company');
    expect(placeholder).to.not.have.property('company');
    expect(placeholder).to.not.have.property('block:company');
  });

  it('makes one company key of legal-suffix, case and noise-word variants', async () => {
    const keys = await keysOf([
      { company: 'Acme Inc.' },
      { company: 'ACME, Inc' },
      { company: 'Acme Incorporated' },
      { company: 'Acme Solutions Ltd' },
      { company: 'Acme Robotics' },
    ]);
    expect(keys.map((k) => k.company)).to.deep.equal(['acme', 'acme', 'acme', 'acme', 'acme robotics']);
  });

  it('reads phones as E.164 with the default country, and websites as their registrable domain', async () => {
    const keys = await keysOf([
      { phone: '(514) 555-0142', company_website: 'https://www.shop.voxa.co.uk/about' },
      { phone: '+1 514 555 0142', company_website: 'voxa.co.uk' },
      { phone: '12', company_website: 'https://www.linkedin.com/company/voxa' },
    ]);
    expect(keys.map((k) => [k.phone ?? null, k.domain ?? null])).to.deep.equal([
      ['+15145550142', 'voxa.co.uk'],
      ['+15145550142', 'voxa.co.uk'],
      [null, null],
    ]);
  });

  it('uses the domain of a work email when the lead has no website, never a free-mail one', async () => {
    const keys = await keysOf([{ email: 'ada@voxa.ca' }, { email: 'ada.voxa@gmail.com' }]);
    expect(keys.map((k) => k.domain ?? null)).to.deep.equal(['voxa.ca', null]);
  });

  it('gives a local lead and the Airtable record it links to the same link key', async () => {
    const keys = await keysOf([
      { name: 'Ada', airtable_id: 'recA1', _meta: { source: 'local', id: '7' } },
      { name: 'Ada', _meta: { source: 'airtable', id: 'recA1' } },
      { name: 'Grace', airtable_id: '', _meta: { source: 'local', id: '8' } },
    ]);
    expect(keys.map((k) => k.link ?? null)).to.deep.equal(['recA1', 'recA1', null]);
  });

  it('folds invisible characters inside a name and a company itself, without normalize before it', async () => {
    const keys = await keysOf([
      { name: 'Aaron Patterson', company: 'Voxa Analytics' },
      { name: 'Aar\u200bon Patte\u00adrson', company: '\ufeffVo\u200cxa\u00a0Analy\u2060tics' },
      { name: 'Aa\u200dron\u00a0Patterson', company: 'Voxa\u200b Analytics' },
    ]);
    expect(keys.map((k) => [k.name, k.company])).to.deep.equal([
      ['aaron patterson', 'analytics voxa'],
      ['aaron patterson', 'analytics voxa'],
      ['aaron patterson', 'analytics voxa'],
    ]);
  });

  it('writes a blocking key per configured blocking field', async () => {
    const [keys] = await keysOf([{ name: 'Ada Lovelace', company: 'Voxa Inc', postcode: '2000' }], { blocking_fields: ['company', 'postcode', 'name'] });
    expect(keys).to.include({ 'block:company': 'voxa', 'block:postcode': '2000', 'block:name': 'ada lovelace' });
  });

  it('adds a key for each identifier column in matching_fields', async () => {
    const [keys] = await keysOf([{ crm_id: ' CRM-0042 ' }], { matching_fields: ['email', 'crm_id'] });
    expect(keys).to.include({ crm_id: 'crm 0042' });
  });

  it('passes events through untouched', async () => {
    const event = { kind: 'operation', action: 'delete', system: 'local', id: '1', fields: {}, replaces: {}, reason: 'dedupe', entity: 'x' };
    const { output } = await runStage('fingerprint', {}, [event]);
    expect(output).to.deep.equal([event]);
  });

  it('rejects an unknown default country before any data moves', async () => {
    let error: Error | undefined;
    try {
      await runStage('fingerprint', { default_country: 'XX' }, []);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.include('default_country: "XX" is not a country code known to libphonenumber');
  });
});
