import { expect } from 'chai';
import { plannedWrites } from '../../../lib/maintenance/confirm.js';

describe('the plan shown for confirmation', () => {
  it('sums operations by system and action, counting only the wanted outcomes', () => {
    const ops = { 'local.update.applied': 3, 'local.update.failed': 1, 'airtable.create.applied': 2, 'airtable.create.dry_run': 4 };
    expect(plannedWrites(ops).total).to.equal(10);
    const applied = plannedWrites(ops, ['applied']);
    expect(applied.total).to.equal(5);
    expect(applied.lines.map((l) => l.trim().replace(/\s+/g, ' '))).to.deep.equal([
      'create 2 record(s) in Airtable',
      'update 3 record(s) in the local database',
    ]);
  });
});
