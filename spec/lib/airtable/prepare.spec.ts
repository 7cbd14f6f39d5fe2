import { expect } from 'chai';
import { prepareOperation, type PrepareSettings } from '../../../lib/airtable/prepare.js';
import type { Operation } from '../../../lib/core/operation.js';

describe('prepareOperation (canonical fields to Airtable names)', () => {
  const settings = (databaseToAirtable: Record<string, string>): PrepareSettings => ({
    table: {
      id: 'tblLeads',
      name: 'Leads',
      fields: [
        { id: 'fld1', name: 'Name', type: 'singleLineText' },
        { id: 'fld2', name: '__proto__', type: 'singleLineText' },
        { id: 'fld3', name: 'constructor', type: 'singleLineText' },
      ],
    } as PrepareSettings['table'],
    mapping: { database_to_airtable: databaseToAirtable, airtable_to_database: {}, local: {} as never, file: 'field-mapping.yaml' },
    typecast: false,
    mergeOn: [],
  });
  const create = (fields: Record<string, unknown>): Operation =>
    ({ kind: 'operation', action: 'create', system: 'airtable', fields, replaces: {}, reason: 'sync', entity: 'local:1' }) as Operation;

  it('says a field named like an Object.prototype member has no Airtable name, instead of mapping it to a function', () => {
    const prepared = prepareOperation(create({ name: 'Ada', toString: 'x' }), settings({ name: 'Name' }));
    expect(prepared.outcome).to.deep.include({ status: 'failed', field: 'toString' });
    expect(prepared.outcome!.error).to.equal(
      "Field 'toString' has no Airtable name in database_to_airtable of field-mapping.yaml; map it or leave it out of the Airtable operations.",
    );
  });

  it('sends a mapped field whose Airtable name is __proto__ or constructor as an ordinary field', () => {
    const mapping = JSON.parse('{"name":"Name","__proto__":"__proto__","ctor":"constructor"}') as Record<string, string>;
    const fields = JSON.parse('{"name":"Ada","__proto__":"p","ctor":"c"}') as Record<string, unknown>;
    const prepared = prepareOperation(create(fields), settings(mapping));
    expect(prepared.outcome).to.equal(undefined);
    expect(Object.keys(prepared.item.fields)).to.deep.equal(['Name', '__proto__', 'constructor']);
    expect(JSON.stringify(prepared.item.fields)).to.equal('{"Name":"Ada","__proto__":"p","constructor":"c"}');
  });
});
