import { expect } from 'chai';
import { toCell, toIsoTimestamp, ValueError } from '../../../lib/sqlite/values.js';

describe('lib/sqlite/values', () => {
  it('stores an empty string as NULL', () => {
    expect(toCell('', 'TEXT')).to.equal(null);
    expect(toCell(undefined, 'TEXT')).to.equal(null);
    expect(toCell(' ', 'TEXT')).to.equal(' ');
  });

  it('stores booleans as the column holds them: text in TEXT columns, 1/0 elsewhere', () => {
    expect(toCell(true, 'TEXT')).to.equal('true');
    expect(toCell(false, 'VARCHAR(5)')).to.equal('false');
    expect(toCell(true, 'BOOLEAN')).to.equal(1);
    expect(toCell(false, 'INTEGER')).to.equal(0);
  });

  it('stores dates as ISO 8601 and objects as JSON', () => {
    expect(toCell(new Date('2026-01-02T03:04:05Z'), 'TIMESTAMP')).to.equal('2026-01-02T03:04:05.000Z');
    expect(toCell({ a: [1, 'é'] }, 'TEXT')).to.equal('{"a":[1,"é"]}');
  });

  it('refuses values SQLite cannot hold', () => {
    expect(() => toCell(Number.NaN, 'REAL')).to.throw(ValueError, 'NaN is not a number SQLite can store');
    expect(() => toCell(() => 1, 'TEXT')).to.throw(ValueError, 'a function cannot be stored in SQLite');
  });

  it('reads SQLite, ISO and epoch timestamps as ISO 8601 UTC', () => {
    expect(toIsoTimestamp('2025-08-14 10:00:00')).to.equal('2025-08-14T10:00:00.000Z');
    expect(toIsoTimestamp('2025-08-14T10:00:00.123')).to.equal('2025-08-14T10:00:00.123Z');
    expect(toIsoTimestamp('2025-08-14T12:00:00+02:00')).to.equal('2025-08-14T10:00:00.000Z');
    expect(toIsoTimestamp('2025-08-14')).to.equal('2025-08-14T00:00:00.000Z');
    expect(toIsoTimestamp(1755165600)).to.equal('2025-08-14T10:00:00.000Z');
    expect(toIsoTimestamp(1755165600000)).to.equal('2025-08-14T10:00:00.000Z');
    expect(toIsoTimestamp('not a date')).to.equal(undefined);
    expect(toIsoTimestamp(null)).to.equal(undefined);
  });
});
