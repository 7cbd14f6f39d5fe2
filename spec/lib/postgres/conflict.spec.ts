import { expect } from 'chai';
import type pg from 'pg';
import type { Operation } from '../../../lib/core/operation.js';
import { concurrentChange, unchangedSinceRead, whyNoRow } from '../../../lib/postgres/conflict.js';
import { READ_TYPES, toPgParam } from '../../../lib/postgres/values.js';
import { postgresOrSkip, type TestPostgres } from '../../support/postgres.js';

/** The columns and types of the spec's table, as write-postgres's table map gives them. */
const TYPES: Record<string, string> = {
  id: 'text',
  email: 'text',
  note: 'text',
  score: 'integer',
  big: 'bigint',
  revenue: 'numeric(12,2)',
  flag: 'boolean',
  tags: 'text[]',
  extra: 'jsonb',
  doc: 'json',
  updated_at: 'timestamp with time zone',
};
const table = { columnOf: (field: string) => (field in TYPES ? field : undefined), typeOf: (column: string) => TYPES[column] ?? '', idColumn: 'id' };

describe('lib/postgres write-time conflict detection', function () {
  this.timeout(60_000);
  let db: TestPostgres;
  let client: pg.Client;
  before(async function () {
    db = await postgresOrSkip(this);
    client = await db.client();
  });
  after(async () => client?.end());
  beforeEach(async () => {
    await client.query('DROP TABLE IF EXISTS leads');
    await client.query(
      `CREATE TABLE leads (id text PRIMARY KEY, email text, note text, score integer, big bigint, revenue numeric(12,2), flag boolean, tags text[], extra jsonb, doc json, updated_at timestamptz)`,
    );
    await client.query(
      `INSERT INTO leads VALUES ('1', 'ann@acme.com', '', 7, 9007199254740993, 12.50, true, ARRAY['a','b'], '{"b": 1, "a": [1, 2]}', '{"x": 1}', '2026-01-05 10:00:00.123456+02')`,
    );
  });

  /** The row as the run reads it (read-postgres's types): what an operation's `replaces` records. */
  async function readRow(): Promise<Record<string, unknown>> {
    return (await client.query({ text: `SELECT * FROM leads WHERE id = '1'`, types: READ_TYPES })).rows[0] as Record<string, unknown>;
  }

  /** An update as write-postgres makes it, guarded: the number of rows it changed. */
  async function guardedUpdate(op: Pick<Operation, 'action' | 'fields' | 'replaces'>, set: string, value: unknown): Promise<number> {
    const check = unchangedSinceRead(op, table, 3, toPgParam);
    const result = await client.query(`UPDATE leads SET ${set} = $1 WHERE id = $2 AND ${check.sql}`, [value, '1', ...check.params]);
    return result.rowCount ?? 0;
  }

  it('applies an update when nobody else wrote the row, whatever the column types (no false conflicts)', async () => {
    const read = await readRow();
    const replaces = Object.fromEntries(Object.entries(read).filter(([k]) => k !== 'id'));
    const fields = Object.fromEntries(Object.keys(replaces).map((k) => [k, null]));
    expect(await guardedUpdate({ action: 'update', fields, replaces }, 'email', 'ann@acme.org')).to.equal(1);
  });

  it('leaves a row another writer changed after the read as they left it, and says it is a conflict, not a deleted row', async () => {
    const read = await readRow();
    const other = await db.client();
    await other.query(`UPDATE leads SET email = 'ann.new@acme.com' WHERE id = '1'`);
    await other.end();
    const op = { action: 'update' as const, id: '1', fields: { email: 'ANN@acme.com'.toLowerCase() }, replaces: { email: read.email } };
    expect(await guardedUpdate(op, 'email', 'ann@acme.com')).to.equal(0);
    expect(await whyNoRow(client, 'leads', 'id', '1')).to.equal('changed');
    expect((await readRow()).email).to.equal('ann.new@acme.com');
    expect(concurrentChange(op, 'public.leads')).to.deep.include({ status: 'skipped', id: '1' });
    expect(concurrentChange(op, 'public.leads').error).to.match(/^conflict: local record 1 in public\.leads was changed by another writer/);
  });

  it('waits for a writer holding the row and then sees its commit, so a change made during the write is not overwritten either', async () => {
    const read = await readRow();
    const other = await db.client();
    await other.query('BEGIN');
    await other.query(`UPDATE leads SET score = 99 WHERE id = '1'`);
    const op = { action: 'update' as const, fields: { score: 8 }, replaces: { score: read.score } };
    const pending = guardedUpdate(op, 'score', 8);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await other.query('COMMIT');
    await other.end();
    expect(await pending).to.equal(0);
    expect((await readRow()).score).to.equal(99);
  });

  it('guards a delete on every column of the row as read', async () => {
    const read = await readRow();
    const replaces = Object.fromEntries(Object.entries(read).filter(([k]) => k !== 'id'));
    await client.query(`UPDATE leads SET note = 'called back' WHERE id = '1'`);
    const check = unchangedSinceRead({ action: 'delete', fields: {}, replaces }, table, 2, toPgParam);
    const deleted = await client.query(`DELETE FROM leads WHERE id = $1 AND ${check.sql}`, ['1', ...check.params]);
    expect(deleted.rowCount).to.equal(0);
    expect(await whyNoRow(client, 'leads', 'id', '1')).to.equal('changed');
    await client.query(`DELETE FROM leads WHERE id = '1'`);
    expect(await whyNoRow(client, 'leads', 'id', '1')).to.equal('deleted');
  });

  it('puts no condition on a create or on an update that recorded nothing it replaces', () => {
    expect(unchangedSinceRead({ action: 'create', fields: { email: 'x' }, replaces: {} }, table, 1, toPgParam)).to.deep.equal({ sql: 'true', params: [] });
    expect(unchangedSinceRead({ action: 'update', fields: { email: 'x' }, replaces: {} }, table, 1, toPgParam).sql).to.equal('true');
  });
});
