import { expect } from 'chai';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Lead } from '../../../lib/core/record.js';
import { canonicalJson, recordVersion } from '../../../lib/review/version.js';
import { runStage, tempDir } from '../../helpers.js';

function local(id: string, fields: Record<string, unknown>): Lead {
  return { id, ...fields, _meta: { source: 'local', id, original: { id, ...fields }, modified_at: '2026-01-0' + id.slice(-1) + 'T00:00:00.000Z' } };
}

describe('recordVersion', () => {
  it('is the first 16 hex digits of the SHA-256 of the fields in canonical JSON, _meta left out', () => {
    const record: Lead = { name: 'Ada', email: 'ada@x.io', tags: [{ b: 1, a: null }], _meta: { source: 'local', id: '1' } };
    const expected = createHash('sha256').update('{"email":"ada@x.io","name":"Ada","tags":[{"a":null,"b":1}]}').digest('hex').slice(0, 16);
    expect(recordVersion(record))
      .to.equal(expected)
      .and.match(/^[0-9a-f]{16}$/);
  });

  it('does not depend on the order the fields were read in, nor on the bookkeeping', () => {
    const a: Lead = { name: 'Ada', email: 'ada@x.io', _meta: { source: 'local', id: '1' } };
    const b: Lead = { email: 'ada@x.io', name: 'Ada', _meta: { source: 'local', id: '1', changes: [{ field: 'email', old: 'A', new: 'a', rule: 'x' }] } };
    expect(recordVersion(a)).to.equal(recordVersion(b));
  });

  it('changes when any value changes, an empty value included', () => {
    const base: Lead = { name: 'Ada', phone: null };
    const versions = [base, { ...base, name: 'Ada ' }, { ...base, phone: '' }, { ...base, extra: 1 }, { name: 'Ada' }].map((record) => recordVersion(record));
    expect(new Set(versions).size).to.equal(versions.length);
  });

  it('writes canonical JSON as JSON.stringify would, keys sorted at every depth', () => {
    const value = { z: [1, 'two', { y: true, x: undefined }], a: { c: 'é"', b: -0.5 } };
    expect(canonicalJson(value)).to.equal('{"a":{"b":-0.5,"c":"é\\""},"z":[1,"two",{"y":true}]}');
    expect(JSON.parse(canonicalJson(value))).to.deep.equal(JSON.parse(JSON.stringify(value)));
  });
});

describe('review lines', () => {
  it('a manual duplicate group carries the version of every member', async () => {
    const review = path.join(tempDir(), 'review', 'duplicates.jsonl');
    const records = ['L1', 'L2', 'L3'].map((id) => local(id, { name: 'Jo Tan', email: 'jo@tan.io', company: id === 'L3' ? 'Tan Ltd' : 'Tan' }));
    const keyed = await runStage('fingerprint', {}, structuredClone(records));
    await runStage('dedupe', { resolution_strategy: 'manual', review_file: review }, keyed.output);
    const lines = fs
      .readFileSync(review, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).to.have.length(1);
    expect(lines[0].versions).to.deep.equal(Object.fromEntries(records.map((r) => [`local:${r.id}`, recordVersion(r)])));
  });
});
