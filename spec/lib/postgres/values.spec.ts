import { expect } from 'chai';
import { exactInteger, exactNumeric, PgValueError, pgTimestampToIso, toPgParam } from '../../../lib/postgres/values.js';

describe('lib/postgres/values', () => {
  describe('pgTimestampToIso', () => {
    it('writes a time as ISO 8601 UTC whatever its zone, truncating microseconds to milliseconds', () => {
      expect(pgTimestampToIso('2026-02-01 00:00:01+00')).to.equal('2026-02-01T00:00:01.000Z');
      expect(pgTimestampToIso('2026-02-01 00:00:01.123456')).to.equal('2026-02-01T00:00:01.123Z');
      expect(pgTimestampToIso('2026-02-01 01:00:00.5+02')).to.equal('2026-01-31T23:00:00.500Z');
      expect(pgTimestampToIso('2026-02-01 00:00:01.123456+05:30')).to.equal('2026-01-31T18:30:01.123Z');
    });

    it('leaves what is not a finite time as the server wrote it', () => {
      expect(pgTimestampToIso('infinity')).to.equal('infinity');
      expect(pgTimestampToIso('2026-02-01 00:00:00 BC')).to.equal('2026-02-01 00:00:00 BC');
    });
  });

  describe('exact numbers', () => {
    it('keeps integers and decimals as numbers only while a double holds them exactly', () => {
      expect(exactInteger('9007199254740991')).to.equal(9007199254740991);
      expect(exactInteger('9007199254740993')).to.equal('9007199254740993');
      expect(exactNumeric('12.50')).to.equal(12.5);
      expect(exactNumeric('0.1')).to.equal(0.1);
      expect(exactNumeric('12345678901234567890.5')).to.equal('12345678901234567890.5');
      expect(exactNumeric('NaN')).to.equal('NaN');
    });
  });

  describe('toPgParam', () => {
    it('binds empty as NULL, booleans as the column holds them, objects as JSON and arrays as arrays only for array columns', () => {
      expect(toPgParam('', 'text')).to.equal(null);
      expect(toPgParam(true, 'boolean')).to.equal(true);
      expect(toPgParam(true, 'text')).to.equal('true');
      expect(toPgParam(false, 'integer')).to.equal(0);
      expect(toPgParam({ a: 1 }, 'jsonb')).to.equal('{"a":1}');
      expect(toPgParam(['a', 'b'], 'text[]')).to.deep.equal(['a', 'b']);
      expect(toPgParam(['a', 'b'], 'text')).to.equal('["a","b"]');
    });

    it('refuses what PostgreSQL cannot store, saying why', () => {
      expect(() => toPgParam('a\u0000b', 'text')).to.throw(PgValueError, /NUL character/);
      expect(() => toPgParam(Number.NaN, 'numeric')).to.throw(PgValueError, /not a number/);
    });
  });
});
