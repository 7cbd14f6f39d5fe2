import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { compileRules, FIELD_STANDARDIZATION_DEFAULTS, resolveRules } from '../../../lib/normalize/index.js';
import type { Lead } from '../../../lib/core/record.js';
import { companyCorpus, phoneCorpus, statusCorpus, websiteCorpus } from './corpus-business.js';
import { dateCorpus } from './corpus-dates.js';
import { emailCorpus, linkedinCorpus, nameCorpus, type CorpusEntry } from './corpus-people.js';
import { renderRuleTable, SHAPES } from './shapes.js';

const normalize = compileRules(FIELD_STANDARDIZATION_DEFAULTS);
const CORPUS: Record<string, CorpusEntry[]> = {
  name: nameCorpus(),
  email: emailCorpus(),
  linkedin_url: linkedinCorpus(),
  company_website: websiteCorpus(),
  company: companyCorpus(),
  phone: phoneCorpus(),
  engagement_status: statusCorpus(),
  date_messaged: dateCorpus().filter((e) => e.field === 'date_messaged'),
  created_at: dateCorpus().filter((e) => e.field === 'created_at'),
};
const ALL = Object.values(CORPUS).flat();

/** The field's value and problem codes after normalize, on a record holding the one value (as read). */
function run(field: string, input: unknown): Lead {
  const record: Lead = { [field]: input };
  normalize(record);
  return record;
}

const codesOn = (record: Lead, field: string) =>
  (record._meta?.problems ?? []).filter((p) => p.field === field && p.problem !== 'needs_enrichment').map((p) => p.problem);

/** What is wrong with one entry's result, or undefined when it is as expected. */
function mismatch(e: CorpusEntry): string | undefined {
  const record = run(e.field, e.input);
  const expected = e.value ?? e.input;
  const problems = codesOn(record, e.field);
  if (record[e.field] !== expected || problems.join() !== e.problems.join()) {
    return `${e.shape} ${JSON.stringify(e.input)}: got ${JSON.stringify(record[e.field])} [${problems}], want ${JSON.stringify(expected)} [${e.problems}]`;
  }
  const change = record._meta?.changes?.find((c) => c.field === e.field);
  // Nothing is destroyed: a changed value keeps the value as read in _meta.
  if (record[e.field] !== e.input && change?.old !== e.input) return `${e.shape} ${JSON.stringify(e.input)}: the value as read is not in _meta.changes`;
  return undefined;
}

describe('normalize corpus', () => {
  for (const [field, entries] of Object.entries(CORPUS)) {
    it(`standardizes at least 300 real-looking ${field} values to their canonical forms`, () => {
      expect(entries.length).to.be.at.least(300);
      expect(entries.map(mismatch).filter(Boolean)).to.deep.equal([]);
    });
  }

  it('has values of every shape the README rule table promises', () => {
    const shapes = new Set(ALL.map((e) => e.shape));
    expect(SHAPES.map((s) => s.id).filter((id) => !shapes.has(id))).to.deep.equal([]);
    expect([...shapes].filter((id) => !SHAPES.some((s) => s.id === id))).to.deep.equal([]);
  });

  it('writes every output as a fixed point of its rule: a second run changes and flags nothing new', () => {
    const moving = ALL.flatMap((e) => {
      const once = run(e.field, e.input);
      const again = structuredClone(once);
      normalize(again);
      const fresh = run(e.field, once[e.field]);
      const problems = (once._meta?.problems ?? []).length;
      const wrong =
        JSON.stringify(again) !== JSON.stringify(once) ||
        (fresh._meta?.changes ?? []).some((c) => c.field === e.field) ||
        codesOn(fresh, e.field).join() !== codesOn(once, e.field).join();
      return wrong ? [`${e.field} ${JSON.stringify(e.input)} -> ${JSON.stringify(once[e.field])} (${problems} problems)`] : [];
    });
    expect(moving).to.deep.equal([]);
  });

  it('makes every output a fixed point of its rule, for any mix of corpus values and their variations (property)', () => {
    const value = (field: string) => fc.constantFrom(...CORPUS[field].map((e) => e.input));
    const spaced = (v: string | number): fc.Arbitrary<string | number> =>
      typeof v === 'string' ? fc.constantFrom(v, ` ${v} `, v.toUpperCase(), v.toLowerCase(), `${v}\u200B`) : fc.constant(v);
    const record = fc.record(Object.fromEntries(Object.keys(CORPUS).map((field) => [field, value(field).chain(spaced)])));
    const fixing = compileRules(resolveRules({ email: { fix_domain_typos: true } }).rules);
    fc.assert(
      fc.property(record, fc.boolean(), (fields, fix) => {
        const rule = fix ? fixing : normalize;
        const once: Lead = { ...fields };
        rule(once);
        const values = Object.fromEntries(Object.keys(CORPUS).map((f) => [f, once[f]]));
        const twice: Lead = { ...values };
        rule(twice);
        expect(twice._meta?.changes ?? [], JSON.stringify(fields)).to.deep.equal([]);
      }),
      { seed: 24, numRuns: 2000 },
    );
  });
});

describe('README rule table', () => {
  it('equals the shapes the rules accept, one example each (UPDATE_DOCS=1 rewrites it)', () => {
    const readme = path.join(process.cwd(), 'README.md');
    const [START, END] = ['<!-- rules:start -->', '<!-- rules:end -->'];
    const text = fs.readFileSync(readme, 'utf8');
    const [from, to] = [text.indexOf(START), text.indexOf(END)];
    expect(from, 'README has the rules markers').to.be.greaterThan(-1);
    if (process.env.UPDATE_DOCS) fs.writeFileSync(readme, text.slice(0, from + START.length) + renderRuleTable() + text.slice(to));
    const now = fs.readFileSync(readme, 'utf8');
    expect(now.slice(now.indexOf(START) + START.length, now.indexOf(END))).to.equal(renderRuleTable());
  });

  for (const shape of SHAPES) {
    it(`${shape.id}: ${JSON.stringify(shape.example)} becomes ${shape.result === null ? 'kept' : JSON.stringify(shape.result)}${shape.problems ? `, flagged ${shape.problems.join(', ')}` : ''}`, () => {
      const record = run(shape.field, shape.example);
      expect(record[shape.field]).to.equal(shape.result ?? shape.example);
      expect(codesOn(record, shape.field)).to.deep.equal(shape.problems ?? []);
    });
  }
});
