import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import { isCanonicalRecordLine } from '../../../lib/core/jsonl-canonical.js';
import { runPipeline } from '../../../lib/core/runner.js';
import '../../../stages/index.js';
import { tempDir } from '../../helpers.js';

// Lines a passthrough must write exactly as a parse and `JSON.stringify` would, most of them not in that form.
const HOSTILE = [
  '{"a":"x","b":null,"c":true,"d":false,"e":0,"f":-12,"g":123456789012345}',
  '{"a":"x","a":"y"}',
  '{"a":"x","b":null}',
  '{"a":"y","b":null,"b":1}',
  '{"a":"x"}',
  '{"a":"q\\"uote"}',
  '{"a":"back\\\\slash","t":"\\t\\n\\r\\b\\f"}',
  '{"a":"\\u0001\\u001f\\u000b"}',
  '{"a":"\\u001F"}',
  '{"a":"\\u00e9","b":"\\/"}',
  '{"a":"\\ud83d\\ude00","b":"\\ud800"}',
  '{"a":"é😀\u2028\u007f"}',
  '{"1":"x","b":"y"}',
  '{"b":"y","1":"x"}',
  '{"01":"x"}',
  '{"__proto__":"x","b":1}',
  '{"a":-0}',
  '{"a":1.0}',
  '{"a":1.5}',
  '{"a":1e2}',
  '{"a":1234567890123456}',
  '{"a":{"b":1}}',
  '{"a":[1,2]}',
  '{"_meta":{"id":"x"},"a":1}',
  '{"a":1,"_meta":null}',
  '{}',
  '{ "a": 1 }',
  '{"a":1} ',
  '{"a":"crlf"}\r',
  '{"a\\"b":1}',
  '{"":1}',
];

describe('JSON Lines written back as read', () => {
  it('takes a line for its value only when parsing and serializing it again gives the same text, without _meta', () => {
    const taken = HOSTILE.filter(isCanonicalRecordLine);
    for (const line of taken) {
      expect(JSON.stringify(JSON.parse(line)), line).to.equal(line);
      expect(Object.hasOwn(JSON.parse(line) as object, '_meta'), line).to.equal(false);
    }
    expect(taken).to.include.members(['{"a":"x","b":null,"c":true,"d":false,"e":0,"f":-12,"g":123456789012345}', '{}', '{"a":"é😀\u2028\u007f"}']);
  });

  it('never takes a line whose value serializes differently (property)', () => {
    const value = fc.oneof(fc.string({ unit: 'binary' }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
    const edit = fc.constantFrom('', ' ', 'dup', '\\u0041', '\\/');
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), value, { maxKeys: 6 }), edit, (record, change) => {
        let line = JSON.stringify(record);
        if (change === ' ') line = line.replace(':', ': ');
        else if (change === 'dup') line = line.replace('{', '{"k":1,"k":2,');
        else if (change) line = line.replace(/"([^"\\]*)"/, `"$1${change}"`);
        if (isCanonicalRecordLine(line)) expect(JSON.stringify(JSON.parse(line))).to.equal(line);
      }),
      { numRuns: 400 },
    );
  });

  it('a read-jsonl → write-jsonl run writes every line as a parse and serialization would, with and without _meta', async () => {
    const dir = tempDir();
    const input = path.join(dir, 'in.jsonl');
    fs.writeFileSync(input, `${HOSTILE.join('\n')}\n`);
    const records = HOSTILE.map((line, i) => ({ value: JSON.parse(line) as Record<string, unknown>, line: i + 1 }));
    for (const strip of [false, true]) {
      const out = path.join(dir, `out-${strip}.jsonl`);
      const yaml = path.join(dir, `run-${strip}.yaml`);
      fs.writeFileSync(
        yaml,
        `steps:\n  - read-jsonl: { path: ${JSON.stringify(input)} }\n  - write-jsonl: { path: ${JSON.stringify(out)}, strip_meta: ${strip} }\n`,
      );
      const summary = await runPipeline(yaml, { rejects: path.join(dir, 'rejects.jsonl') });
      const expected = records.map(({ value, line }) => {
        if (strip) {
          const { _meta, ...fields } = value;
          return JSON.stringify(fields);
        }
        const meta = (value._meta ?? {}) as Record<string, unknown>;
        return JSON.stringify({ ...value, _meta: { ...meta, line } });
      });
      expect(fs.readFileSync(out, 'utf8')).to.equal(`${expected.join('\n')}\n`);
      expect(summary.stages.map((s) => s.sent)).to.deep.equal([HOSTILE.length, HOSTILE.length]);
    }
  });
});
