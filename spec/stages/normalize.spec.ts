import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../lib/core/config.js';
import { createLogger } from '../../lib/core/log.js';
import { compileRules, resolveRules } from '../../lib/normalize/index.js';
import { PassThrough } from 'node:stream';
import type { Lead } from '../../lib/core/record.js';
import { fixture, pipelineProblems, ROOT, runStage, tempDir } from '../helpers.js';

const GOLDEN = process.env.UPDATE_GOLDEN === '1';

function records(name: string): Lead[] {
  return fs
    .readFileSync(fixture('normalize', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function normalize(input: Lead[], options: Record<string, unknown> = {}): Promise<Lead[]> {
  return (await runStage('normalize', options, structuredClone(input))).output;
}

const byId = (output: Lead[]) => Object.fromEntries(output.map((r) => [r.id as string, r]));
const codes = (record: Lead, field?: string) => (record._meta?.problems ?? []).filter((p) => !field || p.field === field).map((p) => p.problem);

/** Loads a fixture pipeline from the repository root and returns its error lines. */
const configProblems = (name: string): string[] => pipelineProblems(path.join('spec/fixtures/normalize', name));

describe('normalize', () => {
  describe('options', () => {
    it('takes its defaults from config/maintenance.yaml, which passes its own checks', async () => {
      const config = loadConfig(DEFAULT_CONFIG_FILE);
      const { output } = await runStage('normalize', {}, [{ phone: '514 555 1234', engagement_status: '' }], { config });
      expect(output[0].phone).to.equal('+15145551234');
      expect(output[0].engagement_status).to.equal('Auto-Send');
    });

    it('reports every mistake in a step before any data moves, at file:line:col of the value', () => {
      expect(configProblems('bad-step.yaml')).to.deep.equal([
        'spec/fixtures/normalize/bad-step.yaml:5:24 normalize.default_country: "Canada" is not a country code known to libphonenumber; use two capital letters such as CA, US, FR',
        'spec/fixtures/normalize/bad-step.yaml:7:16 normalize.field_standardization.emial: unknown rule (did you mean "email"?); the rules are text, email, website_url, linkedin_url, company_name, person_name, phone, engagement_status, dates, field_defaults (and rule_order)',
        'spec/fixtures/normalize/bad-step.yaml:8:45 normalize.field_standardization.engagement_status.default_value: the default "auto_send" is not among the valid values (Auto-Send, Sent, Skipped, Needs Review, Error) (did you mean "Auto-Send"?); the valid values must be exactly the Airtable select options',
      ]);
    });

    it('reports mistakes in the config file where they are in that file', () => {
      expect(configProblems('bad-config.yaml')).to.deep.equal([
        'spec/fixtures/normalize/bad-maintenance.yaml:3:17 normalize.field_standardization.rule_order.1: unknown rule "compnay_name" (did you mean "company_name"?); the rules are text, email, website_url, linkedin_url, company_name, person_name, phone, engagement_status, dates, field_defaults',
        'spec/fixtures/normalize/bad-maintenance.yaml:5:22 normalize.field_standardization.engagement_status.default_value: the default "auto_send" is not among the valid values (Auto-Send, Sent, Skipped, Needs Review, Error) (did you mean "Auto-Send"?); the valid values must be exactly the Airtable select options',
        'spec/fixtures/normalize/bad-maintenance.yaml:8:24 normalize.default_country: "XX" is not a country code known to libphonenumber; use two capital letters such as CA, US, FR',
      ]);
    });

    it('reads phone numbers as the default_country says', async () => {
      const [out] = await normalize([{ phone: '01 42 68 53 00' }], { default_country: 'FR' });
      expect(out.phone).to.equal('+33142685300');
    });

    it('runs only the rules left enabled', async () => {
      const [out] = await normalize([{ email: ' A@B.CO ', company: 'ACME INC' }], { field_standardization: { email: { enabled: false } } });
      expect(out.email).to.equal(' A@B.CO ');
      expect(out.company).to.equal('Acme Inc');
    });
  });

  describe('records', () => {
    it('gives every variant of one LinkedIn profile the same URL, and flags pages that are not profiles', async () => {
      const out = byId(await normalize(records('linkedin-variants.jsonl')));
      for (const id of ['l1', 'l2', 'l3', 'l4', 'l5', 'l6']) expect(out[id].linkedin_url, id).to.equal('https://www.linkedin.com/in/jean-tremblay');
      expect(out.l7.linkedin_url).to.equal('https://www.linkedin.com/in/françois-côté');
      expect(out.l10.linkedin_url).to.equal('https://www.linkedin.com/in/lin-lu-9a8b435');
      expect(out.l8.linkedin_url).to.equal('https://www.linkedin.com/company/acme/');
      expect(codes(out.l8, 'linkedin_url')).to.deep.equal(['not_linkedin_profile']);
      expect(codes(out.l9, 'linkedin_url')).to.deep.equal(['not_linkedin_profile']);
    });

    it('repairs mojibake in names, companies and titles and keeps real accents', async () => {
      const out = byId(await normalize(records('mojibake-names.jsonl')));
      expect(out.m1).to.include({ name: 'Émilie Côté', company: 'Énergir', title: 'Directrice générale' });
      expect(out.m2).to.include({ name: 'François Bouchard', company: 'Groupe D’Amours', title: 'VP – Ventes' });
      expect(out.m3).to.include({ name: 'Jürgen Müller', company: 'Müller GmbH' });
      expect(out.m4).to.include({ name: 'Élodie Gagnon', company: 'Banque Nationale', title: 'Conseillère' });
      expect(out.m4._meta?.changes?.filter((c) => c.rule.startsWith('text.') || c.rule.startsWith('company.'))).to.deep.equal([]);
      expect(out.m5).to.include({ name: 'Renée Roy', company: 'Desjardins', title: 'Analyste' });
    });

    it('writes every legal-suffix variant of a company in one form, keeping acronyms and never erasing a name', async () => {
      const out = byId(await normalize(records('company-suffixes.jsonl')));
      for (const id of ['c1', 'c2', 'c3', 'c4']) expect(out[id].company, id).to.equal('Acme Inc');
      expect(out.c5.company).to.equal('Limited');
      expect(out.c6.company).to.equal('CGI');
      expect(out.c7.company).to.equal('SFM Corp');
      expect(out.c8.company).to.equal('Axxess International Inc');
      expect(out.c13.company).to.equal('Bombardier Inc Ltd');
      expect(codes(out.c9, 'company')).to.deep.equal(['placeholder_company']);
      for (const id of ['c10', 'c11', 'c12']) expect(codes(out[id], 'company'), id).to.deep.equal(['scraped_company']);
    });

    it('maps engagement-status variants to the Airtable options, fills empty ones, and never touches the pipeline status', async () => {
      const input = records('engagement-variants.jsonl');
      const out = byId(await normalize(input));
      expect(['e1', 'e2', 'e3', 'e5', 'e6', 'e8'].map((id) => out[id].engagement_status)).to.deep.equal(Array(6).fill('Auto-Send'));
      expect(out.e4.engagement_status).to.equal('Needs Review');
      expect(out.e7.engagement_status).to.equal('contacted');
      expect(codes(out.e7, 'engagement_status')).to.deep.equal(['invalid_engagement_status']);
      expect(Object.values(out).map((r) => r.status)).to.deep.equal(input.map((r) => r.status));
    });

    it('records every change with the old value and the rule, so nothing is lost', async () => {
      const input = records('messy-export.jsonl');
      const output = await normalize(input);
      expect(output).to.have.length(input.length);
      output.forEach((out, i) => {
        const changed = new Set((out._meta?.changes ?? []).map((c) => c.field));
        for (const [field, value] of Object.entries(input[i])) {
          if (changed.has(field)) {
            const first = out._meta!.changes!.find((c) => c.field === field)!;
            expect(first.old, `${out.id}.${field}`).to.deep.equal(value ?? null);
            expect(first.rule).to.match(/^[a-z_]+\.[a-z_0-9+]+$/);
          } else {
            expect(out[field], `${out.id}.${field}`).to.deep.equal(value);
          }
        }
      });
    });

    it('keeps values it cannot standardize and says what is wrong with each', async () => {
      const out = byId(await normalize(records('messy-export.jsonl')));
      expect(out.r5.email).to.equal('zoe smith@cgi.com');
      expect(out.r5._meta?.problems?.find((p) => p.field === 'email')).to.deep.include({ problem: 'invalid_email', value: 'zoe smith@cgi.com' });
      expect(out.r2.phone).to.equal('555-1234');
      expect(codes(out.r2, 'phone')).to.deep.equal(['invalid_phone']);
      expect(out.r4.created_at).to.equal('not a date');
      expect(codes(out.r4, 'created_at')).to.deep.equal(['invalid_date']);
      expect(codes(out.r4).sort()).to.include.members(['generated_email_domain', 'placeholder_company', 'needs_enrichment']);
      expect(codes(out.r2, 'company_website')).to.deep.equal(['not_company_website']);
    });

    it('leaves null, empty and wrongly typed values as they are, flagging the wrong types', async () => {
      const input = {
        email: null,
        company: 42,
        linkedin_url: ['https://linkedin.com/in/x'],
        phone: true,
        company_website: { url: 'acme.com' },
        name: '',
        engagement_status: 'Sent',
        created_at: true,
      };
      const [out] = await normalize([input]);
      const { _meta, ...fields } = out;
      expect(fields).to.deep.equal(input);
      expect(_meta?.changes).to.equal(undefined);
      expect(_meta?.problems?.map((p) => `${p.field}:${p.problem}`)).to.deep.equal([
        'company:wrong_type',
        'company_website:wrong_type',
        'linkedin_url:wrong_type',
        'phone:wrong_type',
        'created_at:wrong_type',
        'email:needs_enrichment',
      ]);
      expect(_meta?.problems?.[0].message).to.equal('company must be text, not a number (42); it was kept as it is. Fix the source or export it as a string.');
    });

    it('produces the golden output for a messy export, byte for byte', async () => {
      const output = await normalize(records('messy-export.jsonl'));
      const text = output.map((r) => JSON.stringify(r)).join('\n') + '\n';
      const golden = fixture('normalize', 'messy-export.expected.jsonl');
      if (GOLDEN) fs.writeFileSync(golden, text);
      expect(text).to.equal(fs.readFileSync(golden, 'utf8'));
    });

    it('changes nothing the second time, in values, changes or problems (property)', async () => {
      const pick = <T>(...values: T[]) => fc.constantFrom(...values);
      const lead = fc.record(
        {
          name: fc.oneof(pick('Ã‰milie CÃ´tÃ©', ' Marc  Roy ', 'Zoë', ''), fc.string()),
          email: fc.oneof(pick(' A@WWW.ACME.COM', 'info@example.com', 'bad@', null), fc.emailAddress(), fc.string()),
          company: fc.oneof(pick('ACME, Inc.', 'Limited', 'CGI', 'Jean & Associates', 'acme corp.'), fc.string()),
          linkedin_url: fc.oneof(pick('https://ca.linkedin.com/in/X-Y/', 'linkedin.com/company/z', ''), fc.string()),
          company_website: fc.oneof(pick('www.Acme.com/', 'http://a.ca/?utm_source=x', 'facebook.com/a'), fc.webUrl(), fc.string()),
          phone: fc.oneof(pick<unknown>('514-555-1234', 5145551234, 'x'), fc.string()),
          engagement_status: fc.oneof(pick('auto_send', 'Needs-Review', 'nope', ''), fc.string()),
          created_at: fc.oneof(pick('2025-08-14 09:30:00', '08/14/2025', 'never'), fc.string()),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(lead, { maxLength: 20 }), async (leads) => {
          const once = await normalize(leads as Lead[]);
          const twice = await normalize(once);
          expect(twice).to.deep.equal(once);
        }),
        { seed: 21, numRuns: 60 },
      );
    });

    it('keeps every record on any text in any field, a lone surrogate included: a bad value is a problem on the record, never a failed stage', async () => {
      // Any UTF-16 code units: exports cut emoji in half, and a validator library threw on the halves.
      const text = fc.string({ unit: 'binary', maxLength: 24 });
      const field = fc.constantFrom(
        'name',
        'email',
        'company',
        'title',
        'linkedin_url',
        'company_website',
        'phone',
        'engagement_status',
        'created_at',
        'location',
      );
      const lead = fc.dictionary(
        field,
        fc.oneof(
          text,
          text.map((t) => `${t}@x.io`),
          text.map((t) => `https://${t}.com`),
        ),
        { minKeys: 1 },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(lead, { minLength: 1, maxLength: 10 }), async (leads) => {
          const run = await runStage('normalize', {}, structuredClone(leads) as Lead[]);
          expect(run.rejects.map((r) => `${r.reason}: ${r.message}`)).to.deep.equal([]);
          expect(run.output).to.have.length(leads.length);
        }),
        { seed: 7, numRuns: 60 },
      );
      const { output } = await runStage('normalize', {}, [{ name: 'Ann', email: '\ud800@x.io' }]);
      expect(codes(output[0]!, 'email')).to.deep.equal(['invalid_email']);
    });

    it('counts the problems it found by code and logs the counts once, at the end', async () => {
      const stream = new PassThrough();
      let text = '';
      stream.on('data', (d) => (text += d));
      const log = createLogger({ level: 'info', format: 'json', stream });
      await runStage('normalize', {}, records('messy-export.jsonl'), { log });
      const lines = text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((l) => l.problems);
      expect(lines).to.have.length(1);
      expect(lines[0].problems).to.deep.equal({
        generated_email_domain: 1,
        invalid_date: 1,
        invalid_email: 1,
        invalid_engagement_status: 1,
        invalid_phone: 1,
        needs_enrichment: 1,
        not_company_website: 1,
        not_linkedin_profile: 1,
        placeholder_company: 1,
        placeholder_email_domain: 1,
        role_mailbox: 1,
        scraped_company: 2,
      });
    });

    it('keeps the order of records', async () => {
      const input = Array.from({ length: 500 }, (_, i) => ({ id: i, email: `P${i}@Acme.com` }));
      const output = await normalize(input);
      expect(output.map((r) => r.id)).to.deep.equal(input.map((r) => r.id));
      expect(output[499].email).to.equal('p499@acme.com');
    });
  });

  describe('stream', () => {
    /** A record whose company cannot be read once (as a rule would throw on it), then reads as Acme. */
    const unreadable = (id: number): Lead => {
      let thrown = false;
      return Object.defineProperty({ id } as Lead, 'company', {
        enumerable: true,
        get() {
          if (thrown) return 'Acme';
          thrown = true;
          throw new Error('company cannot be read');
        },
      });
    };
    // Past the first batch, so the record is normalized with the rest in the flush at the end.
    const input = (): Lead[] => Array.from({ length: 100 }, (_, i) => (i === 70 ? unreadable(i) : { id: i, email: `P${i}@Acme.com` }));

    it("sets aside a record a rule throws on, by the step's on_error, and passes the others in order", async () => {
      const skipped = await runStage('normalize', { on_error: 'skip' }, input());
      expect(skipped.output.map((r) => r.id)).to.deep.equal(
        input()
          .map((r) => r.id)
          .filter((id) => id !== 70),
      );
      expect(skipped.output[98].email).to.equal('p99@acme.com');
      expect(skipped.rejects).to.have.length(1);
      expect(skipped.rejects[0]).to.include({ reason: 'stage_error', message: 'record 70: company cannot be read' });
      expect(skipped.counters).to.include({ received: 100, sent: 99, rejected: 1, errored: 1 });

      const tagged = await runStage('normalize', { on_error: 'tag' }, input());
      expect(tagged.output.map((r) => r.id)).to.deep.equal(input().map((r) => r.id));
      expect(codes(tagged.output[70])).to.deep.equal(['stage_error']);
      expect(tagged.rejects).to.have.length(1);
    });

    it('stops the run on such a record when on_error is fail, naming the record and rejecting no other', async () => {
      // Record 10 is in the first batch of 64, where the others would be mistaken for it.
      const records = Array.from({ length: 100 }, (_, i) => (i === 10 ? unreadable(i) : { id: i }));
      const rejects = path.join(tempDir('normalize-fail-'), 'rejects.jsonl');
      const failure = await runStage('normalize', { on_error: 'fail' }, records, { rejects }).then(
        () => undefined,
        (error: Error) => error,
      );
      expect(failure?.message).to.equal('normalize: record 10: company cannot be read');
      const rejected = fs
        .readFileSync(rejects, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line));
      expect(rejected.map((r) => r.message)).to.deep.equal(['record 10: company cannot be read']);
    });

    it('gives each record what the rules give it one record at a time, across batches (property)', async () => {
      const normalizeOne = compileRules(resolveRules({}).rules);
      const lead = fc.record(
        {
          name: fc.oneof(fc.constantFrom('Ã‰milie CÃ´tÃ©', ' Marc  Roy ', ''), fc.string()),
          email: fc.oneof(fc.constantFrom(' A@WWW.ACME.COM', 'info@example.com', null), fc.emailAddress()),
          company: fc.oneof(fc.constantFrom('ACME, Inc.', 'Marc Roy & Associates', 'acme corp.'), fc.string()),
          linkedin_url: fc.constantFrom('https://ca.linkedin.com/in/X-Y/', 'linkedin.com/company/z', ''),
          company_website: fc.oneof(fc.constantFrom('www.Acme.com/', 'facebook.com/a'), fc.webUrl()),
          phone: fc.constantFrom<unknown>('514-555-1234', 5145551234, 'x', null),
          engagement_status: fc.constantFrom('auto_send', 'nope', ''),
          created_at: fc.constantFrom('2025-08-14 09:30:00', 'never'),
        },
        { requiredKeys: [] },
      );
      await fc.assert(
        fc.asyncProperty(fc.array(lead, { minLength: 60, maxLength: 200 }), async (leads) => {
          const expected = structuredClone(leads as Lead[]);
          for (const record of expected) normalizeOne(record);
          expect(await normalize(leads as Lead[])).to.deep.equal(expected);
        }),
        { seed: 41, numRuns: 15 },
      );
    });
  });

  describe('command line', () => {
    it('cleans a plain export from stdin to stdout with run-stage', () => {
      const stdout = execFileSync(process.execPath, [path.join(ROOT, 'dist', 'bin', 'run-stage.js'), 'normalize'], {
        input: fs.readFileSync(fixture('normalize', 'company-suffixes.jsonl')),
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      const out = stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      expect(out).to.have.length(13);
      expect(out[1].company).to.equal('Acme Inc');
    });
  });
});
