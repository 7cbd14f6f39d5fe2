import { expect } from 'chai';
import path from 'node:path';
import { openDedupeEngine, parkingLine, type DedupeEngine, type DedupeSettings } from '../../../../lib/match/engine/index.js';
import type { Lead } from '../../../../lib/core/record.js';
import { tempDir } from '../../../helpers.js';
import { ENGINE, keyed, RESOLUTION } from './helpers.js';

/** The engine's output as objects, each batch's kind beside it. */
async function outputOf(engine: DedupeEngine): Promise<{ lines: Lead[]; groups: string[]; kinds: boolean[] }> {
  const lines: Lead[] = [];
  const groups: string[] = [];
  const kinds: boolean[] = [];
  for await (const batch of engine.output()) {
    kinds.push(batch.events);
    groups.push(...batch.groups);
    const text = Buffer.from(batch.data).toString();
    for (const line of text.split('\n').slice(0, -1)) lines.push(JSON.parse(line) as Lead);
  }
  return { lines, groups, kinds };
}

const LEADS = (): Lead[] => [
  { id: 'a', name: 'Ann Lee', email: 'ann@acme.com', updated_at: '2026-01-01', _meta: { source: 'local', id: 'a' } },
  { id: 'b', name: 'Ann Lee', email: 'ann@acme.com', phone: '+1 416 555 0100', updated_at: '2025-01-01', _meta: { source: 'local', id: 'b' } },
  { id: 'c', name: 'Bo Ek', email: 'bo@ek.se', _meta: { source: 'local', id: 'c' } },
];

describe('match/engine (the dedupe engine)', () => {
  it('takes records and lines alike and gives them back clustered, the duplicate groups last when asked for', async () => {
    const dir = tempDir();
    const settings: DedupeSettings = { ...ENGINE, resolution: { ...RESOLUTION, describe_groups: true }, emit_groups: true };
    const engine = openDedupeEngine(path.join(dir, 'd.db'), settings);
    try {
      const [a, b, c] = LEADS().map(keyed);
      await engine.add(a!);
      await engine.addLines(`${parkingLine(b!, settings)}\n${parkingLine(c!, settings)}\n`);
      const { lines, groups, kinds } = await outputOf(engine);
      expect(lines.map((r) => r.id ?? r.kind)).to.deep.equal(['a', 'b', 'c', 'duplicate_group']);
      expect(lines[0]!._meta).to.include({ survivor: true, cluster: 'local:a' });
      expect(lines[1]!._meta).to.include({ survivor: false, duplicate_of: 'a' });
      // The survivor is filled with the phone only its duplicate held.
      expect(lines[0]!.phone).to.equal('+1 416 555 0100');
      expect(lines[3]).to.deep.equal(JSON.parse(groups[0]!));
      expect(kinds[kinds.length - 1]).to.equal(true);
      expect(engine.result).to.deep.include({ duplicates: 1, unkeyed: 0 });
    } finally {
      await engine.close();
    }
  });

  it('leaves duplicates out when asked, counting them, and fingerprints records that come without keys', async () => {
    const engine = openDedupeEngine(path.join(tempDir(), 'd.db'), { ...ENGINE, drop_duplicates: true });
    try {
      for (const lead of LEADS()) await engine.add(lead);
      const dropped: number[] = [];
      const ids: unknown[] = [];
      for await (const batch of engine.output()) {
        dropped.push(batch.dropped);
        for (const line of Buffer.from(batch.data).toString().split('\n').slice(0, -1)) ids.push((JSON.parse(line) as Lead).id);
      }
      expect(ids).to.deep.equal(['a', 'c']);
      expect(dropped.reduce((x, y) => x + y, 0)).to.equal(1);
      expect(engine.result).to.deep.include({ duplicates: 1, unkeyed: 3 });
    } finally {
      await engine.close();
    }
  });
});
