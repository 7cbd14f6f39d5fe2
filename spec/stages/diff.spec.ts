import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import type { Operation } from '../../lib/core/operation.js';
import type { Lead } from '../../lib/core/record.js';
import { describeStage } from '../../lib/core/describe.js';
import { stages } from '../../stages/index.js';
import { SYNC_DIRECTIONS, SYNC_STRATEGIES, type DataConflict } from '../../lib/sync/plan.js';
import { SyncState } from '../../lib/sync/state.js';
import { recordVersion } from '../../lib/review/version.js';
import { runStage, tempDir } from '../helpers.js';

function local(id: string, fields: Record<string, unknown>, meta: Record<string, unknown> = {}): Lead {
  return { id, ...fields, _meta: { source: 'local', id, original: { id, ...fields }, ...meta } };
}
function airtable(id: string, fields: Record<string, unknown>, meta: Record<string, unknown> = {}): Lead {
  return { ...fields, _meta: { source: 'airtable', id, original: { ...fields }, ...meta } };
}

describe('diff', () => {
  it('links records by airtable_id when no cluster is given, and plans each entity once', async () => {
    const { output, counters } = await runStage('diff', {}, [
      airtable('recB', { name: 'Grace', email: 'grace@x.io' }),
      local('L1', { name: 'Ada', email: 'ada@x.io', airtable_id: 'recA' }),
      local('L2', { name: 'Linus', email: 'linus@x.io' }),
      airtable('recA', { name: 'Ada', email: 'ada@new.io' }, { modified_at: '2030-01-01T00:00:00.000Z' }),
    ]);
    const operations = output.filter((o) => (o as unknown as Operation).kind === 'operation') as unknown as Operation[];
    expect(operations.map((o) => [o.action, o.system, o.id ?? null, o.entity])).to.deep.equal([
      ['update', 'local', 'L1', 'airtable:recA'],
      ['create', 'local', null, 'airtable:recB'],
      ['create', 'airtable', null, 'local:L2'],
    ]);
    expect(operations[0].fields).to.deep.equal({ email: 'ada@new.io' });
    expect(counters.dropped).to.deep.equal({ planned: 4 });
  });

  it('groups by the dedupe cluster when there is one', async () => {
    const { output } = await runStage('diff', {}, [
      local('L1', { name: 'Ada', email: 'ada@x.io' }, { cluster: 'c1', survivor: true }),
      airtable('recA', { name: 'Ada', email: 'ada@x.io' }, { cluster: 'c1', survivor: true }),
      local('L2', { name: 'Ada', email: 'ada@x.io' }, { cluster: 'c1', survivor: false }),
    ]);
    expect(output.map((o) => [(o as unknown as Operation).action, (o as unknown as Operation).id])).to.deep.equal([
      ['update', 'L1'],
      ['delete', 'L2'],
    ]);
  });

  it('writes manual conflicts to the review file, with the versions of both records, and passes them on for the report', async () => {
    const review = path.join(tempDir(), 'review', 'conflicts.jsonl');
    const records = [local('L1', { name: 'Ada', email: 'ada@one.io', airtable_id: 'recA' }), airtable('recA', { name: 'Ada', email: 'ada@two.io' })];
    const versionOf = (id: string): string => recordVersion(records.find((r) => r._meta?.id === id)!);
    const { output } = await runStage('diff', { conflict_resolution: 'manual', review_file: review }, structuredClone(records));
    const conflicts = output as unknown as DataConflict[];
    expect(conflicts).to.have.length(1);
    expect(conflicts[0]).to.include({ kind: 'conflict', field_name: 'email', local_value: 'ada@one.io', airtable_value: 'ada@two.io', resolution: 'manual' });
    expect(
      fs
        .readFileSync(review, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).to.deep.equal([{ ...conflicts[0], versions: { 'local:L1': versionOf('L1'), 'airtable:recA': versionOf('recA') } }]);
  });

  it('with the state file of the last run, carries a deletion to the other system instead of recreating the lead', async () => {
    const stateFile = path.join(tempDir(), 'sync-state.db');
    const state = new SyncState(stateFile);
    state.save({
      started_at: '2025-09-01T00:00:00.000Z',
      full_scan: true,
      links: [
        ['L1', 'recA'],
        ['L2', 'recB'],
      ],
    });
    state.close();
    const records = [
      local('L1', { name: 'Ada', airtable_id: 'recA' }, { modified_at: '2025-08-01T00:00:00.000Z' }),
      local('L2', { name: 'Bo', airtable_id: 'recB' }),
      airtable('recB', { name: 'Bo' }),
    ];
    const withState = await runStage('diff', { state_file: stateFile }, records);
    expect(withState.output.map((o) => [(o as unknown as Operation).action, (o as unknown as Operation).system, (o as unknown as Operation).id])).to.deep.equal(
      [['delete', 'local', 'L1']],
    );
    const without = await runStage('diff', {}, records);
    expect(without.output.map((o) => [(o as unknown as Operation).action, (o as unknown as Operation).system])).to.deep.equal([['create', 'airtable']]);
  });

  it('passes operations from earlier stages through untouched', async () => {
    const op: Operation = { kind: 'operation', action: 'delete', system: 'local', id: 'L9', fields: {}, replaces: {}, reason: 'dedupe', entity: 'x' };
    const { output } = await runStage('diff', {}, [op]);
    expect(output).to.deep.equal([op]);
  });

  it('takes every conflict strategy and direction, and lists them in --describe', async () => {
    for (const strategy of SYNC_STRATEGIES) expect((await runStage('diff', { conflict_resolution: strategy }, [])).output).to.deep.equal([]);
    for (const direction of SYNC_DIRECTIONS) expect((await runStage('diff', { direction }, [])).output).to.deep.equal([]);
    const described = describeStage(stages.diff);
    expect(described).to.contain(`  conflict_resolution  ${SYNC_STRATEGIES.join(' | ')}\n`);
    expect(described).to.contain(`  direction  ${SYNC_DIRECTIONS.join(' | ')}\n`);
  });

  it('rejects an unknown conflict strategy before any data moves, naming the known ones and the likely one', async () => {
    const failure = await runStage('diff', { conflict_resolution: 'newest' }, []).catch((e) => e);
    expect(failure.message).to.equal(`diff.conflict_resolution: must be one of ${SYNC_STRATEGIES.join(', ')}, not "newest"`);
    const typo = await runStage('diff', { conflict_resolution: 'local_win' }, []).catch((e) => e);
    expect(typo.message).to.match(/not "local_win" \(did you mean "local_wins"\?\)$/);
  });

  it('plans fields named like Object.prototype members as ordinary fields, __proto__ included', async () => {
    // Parsed, as from a JSON line: `__proto__` is then an own field, not the prototype.
    const record = JSON.parse('{"id":"L1","name":"Ada","email":"ada@x.io","toString":"t","valueOf":"v","constructor":"c","__proto__":"p"}') as Lead;
    record._meta = { source: 'local', id: 'L1', original: { id: 'L1', name: 'Ada', email: 'ada@x.io' } };
    const { output } = await runStage('diff', {}, [record]);
    const update = (output as unknown as Operation[]).find((o) => o.action === 'update' && o.system === 'local')!;
    expect(Object.keys(update.fields).sort()).to.deep.equal(['__proto__', 'constructor', 'toString', 'valueOf']);
    expect(Object.getOwnPropertyDescriptor(update.fields, '__proto__')?.value).to.equal('p');
    expect(Object.getPrototypeOf(update.fields)).to.equal(Object.prototype);
    // What they replace is nothing (the fields are new), not Object.prototype's functions.
    expect(Object.values(update.replaces)).to.deep.equal([null, null, null, null]);
  });
});
