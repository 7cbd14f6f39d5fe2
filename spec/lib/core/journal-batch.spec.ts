import path from 'node:path';
import { expect } from 'chai';
import { readJournal } from '../../../lib/core/journal-read.js';
import { RunJournal } from '../../../lib/core/journal.js';
import type { Operation } from '../../../lib/core/operation.js';
import { tempDir } from '../../helpers.js';

const op = (system: 'local' | 'airtable', id: string, note = ''): Operation => ({
  kind: 'operation',
  action: 'update',
  system,
  id,
  fields: { notes: note },
  replaces: {},
  reason: 'sync',
  entity: id,
});

describe('a local batch in the run journal, with another writer journaling meanwhile', () => {
  it('takes back only its own lines when it rolls back, even once it grew too large to hold and went to the file in pieces', () => {
    const file = path.join(tempDir('journal-batch-'), 'journal.jsonl');
    const journal = new RunJournal(file, 'run-test');
    const batch = journal.batch({ sync: 'soon' });
    batch.begin();
    const long = 'x'.repeat(4000);
    for (let i = 0; i < 300; i++) batch.add(op('local', `L${i}`, long));
    const [airtable] = journal.intend([op('airtable', 'recA')]);
    journal.settle([airtable!], [{ status: 'applied', id: 'recA' }]);
    for (let i = 300; i < 600; i++) batch.add(op('local', `L${i}`, long));
    // The connection dropped: the attempt rolls back and the batch is applied again, smaller.
    batch.begin();
    batch.add(op('local', 'L0', 'again'));
    batch.seal();
    journal.settle(batch.seqs, [{ status: 'applied', id: 'L0' }]);
    journal.close();
    const ops = readJournal(file).ops;
    expect(ops.map((o) => [o.system, o.id, o.result?.status])).to.deep.equal([
      ['airtable', 'recA', 'applied'],
      ['local', 'L0', 'applied'],
    ]);
    expect(ops[1]!.fields).to.deep.equal({ notes: 'again' });
  });
});
