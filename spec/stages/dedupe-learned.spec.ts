import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { definePipeline, type StepDefinition } from '../../lib/core/embed.js';
import { createLogger } from '../../lib/core/log.js';
import { seededRandom } from '../../lib/core/random.js';
import { runPipeline } from '../../lib/core/runner.js';
import type { ParallelOptions } from '../../lib/parallel/plan.js';
import { runStage, tempDir } from '../helpers.js';

/**
 * People records as a table other than leads holds them (name, address, date of birth), with
 * duplicates carrying a typo, and a few people who moved: a typo in the name, another address,
 * whose date of birth alone says they are one person.
 */
function people(count: number, seed: number): Array<Record<string, unknown>> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const first = ['ada', 'alan', 'grace', 'edsger', 'barbara', 'donald', 'frances', 'john', 'katherine', 'linus', 'margaret', 'niklaus'];
  const last = ['lovelace', 'turing', 'hopper', 'dijkstra', 'liskov', 'knuth', 'allen', 'backus', 'johnson', 'torvalds', 'hamilton', 'wirth'];
  const streets = ['babbage st', 'church rd', 'market st', 'kings way', 'bletchley ave', 'harbour pde', 'mill lane', 'station rd'];
  const typo = (text: string): string => {
    const at = 1 + Math.floor(random() * (text.length - 2));
    return text.slice(0, at) + text[at + 1] + text[at] + text.slice(at + 2);
  };
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; out.length < count; i++) {
    const person = {
      id: `p${i}`,
      name: `${pick(first)} ${pick(last)}`,
      location: `${1 + Math.floor(random() * 200)} ${pick(streets)} ${1000 + Math.floor(random() * 900)}`,
      date_of_birth: `19${40 + Math.floor(random() * 60)}${String(1 + Math.floor(random() * 12)).padStart(2, '0')}${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
    };
    out.push(person);
    const roll = random();
    if (roll < 0.4) {
      const field = pick(['name', 'location', 'date_of_birth'] as const);
      out.push({ ...person, id: `p${i}-dup`, [field]: typo(person[field]) });
    } else if (roll < 0.45) {
      out.push({
        ...person,
        id: `p${i}-moved`,
        name: typo(person.name),
        location: `${1 + Math.floor(random() * 200)} ${pick(streets)} ${1000 + Math.floor(random() * 900)}`,
      });
    }
  }
  return out;
}

const FINGERPRINT = { matching_fields: [], blocking_fields: ['name', 'location', 'date_of_birth'] };
const LEARNED = { matching_fields: [], scoring: 'learned', field_weights: { name: 1, location: 1 } };

function writeRecords(records: unknown[]): string {
  const file = path.join(tempDir('dedupe-learned-'), 'people.jsonl');
  fs.writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

/** read-jsonl → fingerprint → dedupe → `last`; returns the JSON log lines by message. */
async function run(input: string, dedupe: Record<string, unknown>, last: StepDefinition, parallel: ParallelOptions = { workers: 1 }) {
  const dir = tempDir('dedupe-learned-');
  let logged = '';
  const stream = new PassThrough().on('data', (d) => (logged += d));
  const pipeline = definePipeline(
    [['read-jsonl', { path: input }], ['fingerprint', FINGERPRINT], ['dedupe', { review_file: path.join(dir, 'review.jsonl'), ...LEARNED, ...dedupe }], last],
    { rejects: path.join(dir, 'rejects.jsonl') },
  );
  await runPipeline(pipeline, { parallel, log: createLogger({ level: 'info', format: 'json', stream }) });
  const log = logged
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return (message: string) => log.filter((entry) => entry.message === message || String(entry.message).startsWith(`${message}\n`));
}

/** Which records each record is clustered with, by id. */
async function clustersOf(records: Array<Record<string, unknown>>, dedupe: Record<string, unknown> = {}): Promise<Map<string, string>> {
  const fingerprinted = await runStage('fingerprint', FINGERPRINT, records);
  const { output } = await runStage('dedupe', { review_file: path.join(tempDir(), 'review.jsonl'), ...LEARNED, ...dedupe }, fingerprinted.output);
  return new Map(output.map((r) => [String(r.id), String(r._meta!.cluster)]));
}

const FIRST_PAIRS = 'First pairs matched by score, and the fields that decided them:';

/** The log's first pairs: five, in the order their records came, each one person, each with the fields that decided it. */
function expectFirstPairsExplained(entry: Record<string, unknown>, input: Array<Record<string, unknown>>): void {
  const pairs = entry.first_pairs as Array<{ ids: string[]; score: number; decided_by: string[] }>;
  expect(pairs).to.have.length(5);
  const position = (id: string) => input.findIndex((r) => `record:${String(r.id)}` === id);
  const earlier = pairs.map((p) => Math.min(...p.ids.map(position)));
  expect(earlier).to.deep.equal([...earlier].sort((a, b) => a - b));
  const lines = String(entry.message).split('\n');
  for (const { ids, score, decided_by } of pairs) {
    // Each pair is one person: a record and its duplicate.
    expect(new Set(ids.map((id) => id.replace(/-(dup|moved)$/, ''))).size, ids.join(' and ')).to.equal(1);
    expect(decided_by).to.not.be.empty;
    for (const field of decided_by) expect(field).to.match(/^(name|location|date_of_birth) .+ \(\+\d+\.\d\d\)$/);
    expect(lines).to.include(`${ids.join(' and ')} (score ${score.toFixed(4)}): decided by ${decided_by.join(', ')}`);
  }
}

describe('dedupe: learned scoring', function () {
  this.timeout(120_000);
  const records = people(400, 5);

  it('finds the duplicates of a people table whose columns it was never told about', async () => {
    const clusters = await clustersOf(records, { field_comparisons: { date_of_birth: 'date' } });
    const dups = records.filter((r) => String(r.id).endsWith('-dup'));
    expect(dups.length).to.be.greaterThan(100);
    const found = dups.filter((r) => clusters.get(String(r.id)) === clusters.get(String(r.id).replace('-dup', '')));
    expect(found.length / dups.length).to.be.at.least(0.95);
  });

  it('finds a person who moved once date_of_birth is declared a compared field', async () => {
    const moved = records.filter((r) => String(r.id).endsWith('-moved'));
    expect(moved.length).to.be.greaterThan(10);
    const together = (clusters: Map<string, string>) =>
      moved.filter((r) => clusters.get(String(r.id)) === clusters.get(String(r.id).replace('-moved', ''))).length;
    expect(together(await clustersOf(records))).to.equal(0);
    expect(together(await clustersOf(records, { field_comparisons: { date_of_birth: 'date' } }))).to.be.at.least(moved.length * 0.9);
  });

  it('trains the same weights, names the same first pairs and writes the same bytes whatever the input order, on one thread and on many', async () => {
    const shuffled = [...records].sort((a, b) => (String(a.id).split('').reverse().join('') < String(b.id).split('').reverse().join('') ? -1 : 1));
    const weights: unknown[] = [];
    const firstPairs: Array<Record<string, unknown>> = [];
    const outputs: string[] = [];
    const runs: Array<[unknown[], ParallelOptions]> = [
      [records, { workers: 1 }],
      [records, { workers: 2, thresholdBytes: 0, blockBytes: 8 * 1024, inline: false }],
      [shuffled, { workers: 1 }],
    ];
    for (const [input, parallel] of runs) {
      const out = path.join(tempDir('dedupe-learned-'), 'out.jsonl');
      const found = await run(writeRecords(input), { field_comparisons: { date_of_birth: 'date' } }, ['write-jsonl', { path: out }], parallel);
      weights.push(found('Match weights trained.').map(({ timestamp: _t, ...rest }) => rest));
      firstPairs.push(found(FIRST_PAIRS)[0]!);
      outputs.push(
        fs
          .readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          // Where a record was read differs with the input's order; nothing else may.
          .map((line) => line.replace(/"line":\d+,/, ''))
          .sort()
          .join('\n'),
      );
    }
    expect(weights[0]).to.have.length(1);
    expect(weights[1]).to.deep.equal(weights[0]);
    expect(weights[2]).to.deep.equal(weights[0]);
    expect(outputs[1]).to.equal(outputs[0]);
    expect(outputs[2]).to.equal(outputs[0]);
    // The first pairs are the first by the records' arrival: the same on many threads, others in another order.
    expect(firstPairs[1]!.first_pairs).to.deep.equal(firstPairs[0]!.first_pairs);
    expectFirstPairsExplained(firstPairs[0]!, records);
    expectFirstPairsExplained(firstPairs[2]!, shuffled);
  });

  it('explains a pair: each field with its level and weight, the probability, and the fields that decided it', async () => {
    const input = writeRecords(records);
    // The first five duplicate pairs of the run, each explained.
    const dups = records.filter((r) => String(r.id).endsWith('-dup')).slice(0, 5);
    for (const dup of dups) {
      const ids = [`record:${String(dup.id).replace('-dup', '')}`, `record:${String(dup.id)}`];
      const found = await run(input, { explain: ids, field_comparisons: { date_of_birth: 'date' } }, [
        'write-jsonl',
        { path: path.join(tempDir(), 'o.jsonl') },
      ]);
      const [entry] = found('Pair explained.');
      const lines = String(entry!.message).split('\n');
      expect(lines[1]).to.equal(`${ids.join(' and ')}: the same person (score ${lines[1]!.match(/score (\S+),/)![1]}, threshold 0.85)`);
      expect(lines.find((l) => l.startsWith('prior'))).to.match(/^prior\s+-\d+\.\d\d$/);
      for (const field of ['name', 'location', 'date_of_birth']) expect(lines.some((l) => new RegExp(`^${field}\\s+\\S`).test(l))).to.equal(true);
      expect(lines.find((l) => l.startsWith('total'))).to.match(/probability 0\.\d{4}|probability 1\.0000/);
      // The two fields the duplicate did not change agree exactly, and they decide it.
      const untouched = ['name', 'location', 'date_of_birth'].filter(
        (f) => records.find((r) => r.id === dup.id)![f] === records.find((r) => r.id === String(dup.id).replace('-dup', ''))![f],
      );
      const decided = lines.find((l) => l.startsWith('decided by: '))!;
      expect(untouched.some((field) => decided.includes(`${field} exact`))).to.equal(true);
    }
  });

  it('says why a pair cannot be explained when a record is not in the input', async () => {
    const found = await run(writeRecords(records.slice(0, 50)), { explain: ['record:p0', 'record:nobody'] }, [
      'write-jsonl',
      { path: path.join(tempDir(), 'o.jsonl') },
    ]);
    expect(
      found('Cannot explain record:p0 and record:nobody: record:nobody had no blocking key, or is not in the input, so it was never compared fuzzily.'),
    ).to.have.length(1);
  });

  it('shows the learned weights per field and level and a histogram of scores in the Markdown and HTML report', async () => {
    const reports = tempDir('dedupe-learned-');
    await run(writeRecords(records), { field_comparisons: { date_of_birth: 'date' } }, ['report', { directory: reports, formats: ['md', 'html'] }]);
    const folder = path.join(reports, 'latest');
    const md = fs.readFileSync(path.join(folder, 'report.md'), 'utf8');
    expect(md).to.include('## Fuzzy matching');
    expect(md).to.include('| field | level | m | u | weight |');
    expect(md).to.match(/\| date\\_of\\_birth \| exact \| [\d.e-]+ \| [\d.e-]+ \| \+\d+\.\d\d \|/);
    expect(md).to.match(/\| 0\.95–1\.00 \| \d+ \| █+ \|/);
    const html = fs.readFileSync(path.join(folder, 'report.html'), 'utf8');
    expect(html).to.include('<h3>Match weights per field and level</h3>');
    expect(md).to.include('### First pairs matched by score, and the fields that decided them');
    expect(md.match(/^\| record:p\d+ and record:p\d+-(dup|moved) \| [01]\.\d{4} \| (name|location|date\\_of\\_birth) /gm)).to.have.length(5);
    expect(html).to.include('<h3>First pairs matched by score, and the fields that decided them</h3>');
    expect(html).to.include('aria-label="Scores of the compared pairs"');
  });

  it('rejects an unknown comparison type and an explain that does not name two records', async () => {
    let message = '';
    try {
      await runStage('dedupe', { field_comparisons: { location: 'adress' }, explain: ['local:1'] }, []);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.include('field_comparisons.location: must be one of exact, name, text, address, date, phone, email, url, not "adress"');
    expect(message).to.include('explain: must name two records (e.g. [local:12, local:40]), not 1');
  });
});
