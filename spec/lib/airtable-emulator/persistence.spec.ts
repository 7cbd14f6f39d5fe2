import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Airtable from 'airtable';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { TOKEN, api, leadRows, leads, start } from './helpers.js';

const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../../../..');
const SCHEMA = path.join(ROOT, 'spec/fixtures/airtable-emulator/two-bases.yaml');

describe('airtable emulator: persistence, schema files and load', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'emulator-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps records, ids, times and typecast choices across a restart', async () => {
    const dataFile = path.join(dir, 'base.sqlite');
    const first = await start({ dataFile });
    const created = await leads(first).create({ 'Full Name': 'Ada', Engagement_Status: 'New One' }, { typecast: true });
    const before = first.dump('Leads');
    await first.close();
    const second = await start({ dataFile });
    try {
      expect(second.dump('Leads')).to.deep.equal(before);
      const again = await leads(second).find(created.id);
      expect(again.get('Engagement_Status')).to.equal('New One');
      const ok = await leads(second).create({ Engagement_Status: 'New One' });
      expect(ok.id).to.not.equal(created.id);
    } finally {
      await second.close();
    }
  });

  it('forgets list iterators on restart, as the real API may', async () => {
    const dataFile = path.join(dir, 'base.sqlite');
    const first = await start({ dataFile });
    first.seed('Leads', leadRows(120));
    const page = await api(first, 'GET', `/v0/${first.baseId}/Leads`);
    await first.close();
    const second = await start({ dataFile });
    try {
      const r = await api(second, 'GET', `/v0/${second.baseId}/Leads?offset=${encodeURIComponent(page.body.offset)}`);
      expect(r.body).to.deep.equal({ error: { type: 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE' } });
    } finally {
      await second.close();
    }
  });

  describe('with a YAML schema of two bases and unicode names', () => {
    let em: Emulator;
    beforeEach(async () => {
      em = await start({ schema: SCHEMA });
    });
    afterEach(() => em.close());

    it('creates both bases and makes the first one the default', async () => {
      expect(em.baseId).to.equal('appYamlLeadsBase1');
      const bases = await api(em, 'GET', '/v0/meta/bases');
      expect(bases.body.bases.map((b: any) => b.name)).to.deep.equal(['Léads', 'Other']);
    });

    it('reads and writes unicode table and field names through airtable.js', async () => {
      const table = new Airtable({ apiKey: TOKEN, endpointUrl: em.url }).base(em.baseId)('Contacts 联系人');
      const rec = await table.create({ 'Nom complet': 'Zoë Ångström', 'Courriel ✉': 'zoe@exemple.fr', Statut: 'Nouveau' });
      expect(rec.fields).to.include({ 'Nom complet': 'Zoë Ångström', 'Courriel ✉': 'zoe@exemple.fr' });
      const found = await table.select({ filterByFormula: "{Courriel ✉} = 'zoe@exemple.fr'" }).all();
      expect(found.map((r) => r.id)).to.deep.equal([rec.id]);
      expect(em.requestLog()[0]!.path).to.equal(`/v0/${em.baseId}/Contacts 联系人/`);
    });

    it('keeps the bases apart', async () => {
      em.seed('Leads', [{ 'Full Name': 'Only in other' }], { baseId: 'appYamlOtherBase1' });
      const other = await api(em, 'GET', '/v0/appYamlOtherBase1/Leads');
      expect(other.body.records.map((r: any) => r.fields['Full Name'])).to.deep.equal(['Only in other']);
      const missing = await api(em, 'GET', `/v0/${em.baseId}/Leads`);
      expect(missing.status).to.equal(403);
    });

    it('serves a view with its own filter and order', async () => {
      em.seed('Contacts 联系人', [
        { 'Nom complet': 'A', Statut: 'Nouveau' },
        { 'Nom complet': 'B', Statut: 'Contacté' },
        { 'Nom complet': 'C', Statut: 'Nouveau' },
      ]);
      const r = await api(em, 'GET', `/v0/${em.baseId}/${encodeURIComponent('Contacts 联系人')}?view=Nouveaux`);
      expect(r.body.records.map((x: any) => x.fields['Nom complet'])).to.deep.equal(['C', 'A']);
    });

    it('updates a last-modified field that watches one field only when that field changes', async () => {
      const [id] = em.seed('Contacts 联系人', [{ 'Nom complet': 'A' }]);
      const path = `/v0/${em.baseId}/${encodeURIComponent('Contacts 联系人')}/${id}`;
      expect((await api(em, 'GET', path)).body.fields).to.not.have.property('Modifié');
      await api(em, 'PATCH', path, { body: { fields: { Statut: 'Contacté' } } });
      expect((await api(em, 'GET', path)).body.fields.Modifié).to.match(/\.000Z$/);
    });
  });

  describe('under load', () => {
    let em: Emulator;
    beforeEach(async () => {
      em = await start();
    });
    afterEach(() => em.close());

    it('serves concurrent clients without losing or duplicating a write', async () => {
      const clients = Array.from({ length: 5 }, () => leads(em));
      await Promise.all(
        clients.flatMap((c, ci) => Array.from({ length: 10 }, (_, b) => c.create(leadRows(10, ci * 1000 + b * 10).map((fields) => ({ fields }))))),
      );
      const all = em.dump('Leads');
      expect(all).to.have.length(500);
      expect(new Set(all.map((r) => r.fields.Email)).size).to.equal(500);
      const listed = await leads(em).select().all();
      expect(listed).to.have.length(500);
    });

    it('accepts a 1 MB request body of ten 100,000-character cells', async () => {
      const big = 'é'.repeat(50_000) + 'x'.repeat(50_000);
      const records = Array.from({ length: 10 }, (_, i) => ({ fields: { 'Full Name': `Big ${i}`, 'AI Message': big } }));
      const r = await api(em, 'POST', `/v0/${em.baseId}/Leads`, { body: { records } });
      expect(r.status).to.equal(200);
      expect(JSON.stringify({ records }).length).to.be.greaterThan(1_000_000);
      expect(em.dump('Leads')[9]!.fields['AI Message']).to.equal(big);
      const tooLong = await api(em, 'POST', `/v0/${em.baseId}/Leads`, { body: { fields: { 'AI Message': big + 'x' } } });
      expect(tooLong.body.error.type).to.equal('INVALID_VALUE_FOR_COLUMN');
    });
  });
});
