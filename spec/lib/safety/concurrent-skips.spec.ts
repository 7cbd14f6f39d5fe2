import path from 'node:path';
import { expect } from 'chai';
import type { Operation } from '../../../lib/core/operation.js';
import { concurrentChange } from '../../../lib/postgres/conflict.js';
import { ConcurrentSkips } from '../../../lib/safety/concurrent-skips.js';
import { IntegrityCheck } from '../../../lib/sync/integrity.js';
import { tempDir } from '../../helpers.js';

/** A local operation another writer's change made the run skip. */
function skipped(action: 'update' | 'delete', id: string, fields: Record<string, unknown> = {}): Operation {
  const op: Operation = { kind: 'operation', action, system: 'local', id, fields, replaces: {}, reason: 'sync', entity: id };
  return { ...op, result: concurrentChange(op, 'leads') };
}

const lead = (id: string, fields: Record<string, unknown>) => ({ ...fields, _meta: { id, source: 'local' as const } });

/** The problems validate reports for these local leads and Airtable records, with the run's skipped operations excused. */
function problems(ops: Operation[], local: Array<ReturnType<typeof lead>>, airtable: Array<[string, Record<string, unknown>]>): string[] {
  const check = new IntegrityCheck(path.join(tempDir('skips-'), 'check.db'), ['email'], { linkField: 'airtable_id', keep: 50, requireLinks: true });
  try {
    const skips = new ConcurrentSkips();
    for (const op of ops) skips.note(op, 'airtable_id');
    skips.excuse(check);
    for (const [id, fields] of airtable) check.addAirtable(id, fields);
    for (const l of local) check.checkLocal(l);
    check.finish({ counts: true });
    return check.differences.map((d) => [d.problem, d.local_id, d.airtable_id, d.field].filter(Boolean).join(' '));
  } finally {
    check.close();
  }
}

describe('validate after operations another writer made the run skip', () => {
  it('excuses the lead a skipped update would have linked, its Airtable record and the fields it would have set, and nothing else', () => {
    const ops = [skipped('update', 'L1', { email: 'a@x.io', airtable_id: 'recA' })];
    const found = problems(
      ops,
      [
        lead('L1', { email: 'A@X.IO', airtable_id: null }),
        lead('L2', { email: 'b@x.io', airtable_id: null }),
        lead('L3', { email: 'c@x.io', airtable_id: 'recC' }),
      ],
      [
        ['recA', { email: 'a@x.io' }],
        ['recB', { email: 'b@x.io' }],
        ['recC', { email: 'other@x.io' }],
      ],
    );
    expect(found).to.deep.equal(['unlinked_local L2', 'field_mismatch L3 recC email', 'unlinked_airtable recB']);
  });

  it('excuses a lead kept because its delete was skipped, in the links and the counts, and still reports an extra lead beside it', () => {
    const ops = [skipped('delete', 'L9')];
    const airtable: Array<[string, Record<string, unknown>]> = [['recA', { email: 'a@x.io' }]];
    const survivor = lead('L1', { email: 'a@x.io', airtable_id: 'recA' });
    const kept = lead('L9', { email: 'old@x.io', airtable_id: 'recA' });
    expect(problems(ops, [kept, survivor], airtable)).to.deep.equal([]);
    const stray = lead('L5', { email: 'e@x.io', airtable_id: 'recGone' });
    expect(problems(ops, [kept, survivor, stray], airtable)).to.deep.equal(['missing_airtable L5 recGone', 'count_mismatch']);
    expect(problems([], [kept, survivor], airtable)).to.deep.equal(['field_mismatch L9 recA email', 'shared_link L1 recA', 'count_mismatch']);
  });

  it('excuses nothing for operations that were applied, failed, or skipped for another reason', () => {
    const applied = { ...skipped('update', 'L1', { airtable_id: 'recA' }), result: { status: 'applied' as const, id: 'L1' } };
    const gone = { ...skipped('delete', 'L2'), result: { status: 'skipped' as const, id: 'L2', error: 'already deleted' } };
    const found = problems(
      [applied, gone],
      [lead('L1', { email: 'a@x.io', airtable_id: null }), lead('L2', { email: 'b@x.io', airtable_id: null })],
      [['recA', { email: 'a@x.io' }]],
    );
    expect(found).to.deep.equal(['unlinked_local L1', 'unlinked_local L2', 'unlinked_airtable recA', 'count_mismatch']);
  });
});
