import { expect } from 'chai';
import type { Emulator } from '../../../lib/airtable-emulator/index.js';
import { DEFAULT_LEAD_SCHEMA } from '../../../lib/airtable-emulator/index.js';
import { api, start } from './helpers.js';

describe('airtable emulator: metadata', () => {
  let em: Emulator;
  beforeEach(async () => {
    em = await start({ tokenGrants: { 'pat-data-only': { scopes: ['data.records:read'] } } });
  });
  afterEach(() => em.close());

  it('describes the lead table with ids, types, select choices and views', async () => {
    const r = await api(em, 'GET', `/v0/meta/bases/${em.baseId}/tables`);
    expect(r.status).to.equal(200);
    const [table] = r.body.tables;
    expect(table.id).to.match(/^tbl[A-Za-z0-9]{14}$/);
    expect(table.name).to.equal('Leads');
    expect(table.primaryFieldId).to.equal(table.fields[0].id);
    expect(table.fields.map((f: any) => f.name)).to.deep.equal(DEFAULT_LEAD_SCHEMA.tables[0]!.fields.map((f) => f.name));
    const status = table.fields.find((f: any) => f.name === 'Engagement_Status');
    expect(status.type).to.equal('singleSelect');
    expect(status.options.choices.map((c: any) => c.name)).to.deep.equal(['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error']);
    expect(status.options.choices[0]).to.have.keys('id', 'name', 'color');
    expect(table.fields.find((f: any) => f.name === 'Last Modified').type).to.equal('lastModifiedTime');
    expect(table.fields.find((f: any) => f.name === 'Email')).to.not.have.property('options');
    expect(table.views).to.deep.equal([{ id: table.views[0].id, name: 'Grid view', type: 'grid' }]);
  });

  it('lists visible field ids of grid views on request', async () => {
    const r = await api(em, 'GET', `/v0/meta/bases/${em.baseId}/tables?include%5B%5D=visibleFieldIds`);
    expect(r.body.tables[0].views[0].visibleFieldIds).to.have.length(21);
  });

  it('lists the bases of the token and says who it is', async () => {
    const bases = await api(em, 'GET', '/v0/meta/bases');
    expect(bases.body).to.deep.equal({ bases: [{ id: em.baseId, name: 'Leads', permissionLevel: 'create' }] });
    const me = await api(em, 'GET', '/v0/meta/whoami');
    expect(me.body.id).to.match(/^usr[A-Za-z0-9]{14}$/);
    expect(me.body.scopes).to.include('schema.bases:read');
  });

  it('needs the schema scope and a known base', async () => {
    expect((await api(em, 'GET', `/v0/meta/bases/${em.baseId}/tables`, { token: 'pat-data-only' })).status).to.equal(403);
    expect((await api(em, 'GET', '/v0/meta/bases/appAAAAAAAAAAAAAA/tables')).status).to.equal(403);
    const malformed = await api(em, 'GET', '/v0/meta/bases/nope/tables');
    expect(malformed.status).to.equal(404);
    expect(malformed.body).to.deep.equal({ error: 'NOT_FOUND' });
  });
});
