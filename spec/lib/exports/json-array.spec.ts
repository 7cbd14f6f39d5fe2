import { expect } from 'chai';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { CanonicalRecords } from '../../../lib/core/jsonl-canonical.js';
import { ArrayScanner } from '../../../lib/exports/json-array-scan.js';
import { type JsonElement, jsonElements, MalformedJson } from '../../../lib/exports/json-array.js';

/** What a reader sees: every element given (with its index) and then the error, if any, with its position. */
interface Reading {
  elements: unknown[];
  error?: { message: string; line?: number; col?: number };
}

async function read(batches: AsyncGenerator<JsonElement[]>): Promise<Reading> {
  const elements: unknown[] = [];
  try {
    for await (const batch of batches) for (const element of batch) elements.push(element);
    return { elements };
  } catch (error) {
    if (!(error instanceof MalformedJson)) throw error;
    return { elements, error: { message: error.message, line: error.line, col: error.col } };
  }
}

/** `text` as UTF-8 bytes in pieces of the given sizes (in turn), cut anywhere, inside a character too; the same pieces every time. */
function opener(text: string, sizes: readonly number[]): () => Readable {
  const bytes = Buffer.from(text);
  return () => {
    const out: Buffer[] = [];
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const size = sizes[i % sizes.length]!;
      out.push(bytes.subarray(at, at + size));
      at += size;
    }
    return Readable.from(out);
  };
}

/** The same text read as a file (read quickly, stream-json on any doubt) and as stdin (stream-json throughout, as before). */
async function bothWays(text: string, sizes: readonly number[]): Promise<{ file: Reading; stdin: Reading }> {
  const open = opener(text, sizes);
  return { file: await read(jsonElements(open(), open)), stdin: await read(jsonElements(open())) };
}

const rawNumbers = ['-0', '0', '1e5', '1E+2', '-1.5e-7', '0.1', '12345678901234567890123', '9007199254740993', '1e400', '-1e-400'];
const rawStrings = ['"a\\/b"', '"\\u00e9\\uD83D\\uDE00"', '"\\ud800"', '"tab\\there \\"quoted\\" back\\\\slash"', '"é😀"', '""', '"},{\\"a\\":[1]},"'];
const key = fc.oneof(fc.constantFrom('__proto__', 'id', 'name', 'constructor', 'toString', 'fields'), fc.string({ unit: 'binary', maxLength: 6 }));
const scalarText = fc.oneof(
  fc.constantFrom(...rawNumbers, ...rawStrings, 'true', 'false', 'null'),
  fc.string({ unit: 'binary', maxLength: 12 }).map((s) => JSON.stringify(s)),
  fc.double().map((n) => JSON.stringify(n)),
);
const space = fc.constantFrom('', '', ' ', '\n', '\r\n', '\t ');
/** JSON text of a value: records whose keys may repeat, nested values, numbers and strings as other tools write them. */
const { valueText } = fc.letrec<{ valueText: string; recordText: string; arrayText: string }>((tie) => ({
  valueText: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalarText, tie('recordText'), tie('arrayText')),
  recordText: fc
    .array(fc.tuple(space, key, space, tie('valueText')), { maxLength: 5 })
    .map((pairs) => `{${pairs.map(([s, k, t, v]) => `${s}${JSON.stringify(k)}${t}:${s}${v}`).join(',')}}`),
  arrayText: fc.array(fc.tuple(space, tie('valueText')), { maxLength: 4 }).map((items) => `[${items.map(([s, v]) => s + v).join(',')}]`),
}));
const arrayDocument = fc
  .tuple(space, fc.array(fc.tuple(space, valueText, space), { maxLength: 12 }), space)
  .map(([before, items, after]) => `${before}[${items.map(([s, v, t]) => s + v + t).join(',')}]${after}`);
/** Records as JSON.stringify writes them (most of them flat objects a writer can take as text), among other elements. */
const writtenRecord = fc
  .dictionary(
    fc.string({ unit: 'binary', maxLength: 6 }),
    fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.double()),
    {
      maxKeys: 4,
    },
  )
  .map((record) => JSON.stringify(record));
const mixedDocument = fc
  .tuple(space, fc.array(fc.tuple(space, fc.oneof(writtenRecord, writtenRecord, valueText), space), { maxLength: 12 }), space)
  .map(([before, items, after]) => `${before}[${items.map(([s, v, t]) => s + v + t).join(',')}]${after}`);

/** The elements given as text, as values (what a writer makes of them), and whether each such text is what JSON.stringify writes. */
function asValues(reading: Reading): Reading {
  const elements = reading.elements.map((element) => {
    const { key, text } = element as { key: number; text?: string };
    if (text === undefined) return element;
    expect(JSON.stringify(JSON.parse(text)), text).to.equal(text);
    return { key, value: JSON.parse(text) as unknown };
  });
  return { ...reading, elements };
}

/** Pieces cut anywhere, small (across every token) or large (holding many records, read a run at a time). */
const pieceSizes = fc.array(fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 41, max: 600 })), { minLength: 1, maxLength: 4 });

describe('jsonElements', () => {
  it('reads a well-formed array from a file exactly as stream-json reads it, whatever the pieces', async () => {
    await fc.assert(
      fc.asyncProperty(arrayDocument, pieceSizes, async (text, sizes) => {
        const { file, stdin } = await bothWays(text, sizes);
        expect(file.error).to.equal(undefined);
        expect(file).to.deep.equal(stdin);
        expect(file.elements.map((e) => (e as { value: unknown }).value)).to.deep.equal(JSON.parse(text));
      }),
      { numRuns: 150 },
    );
  });

  it('gives the same elements before the same error, at the same line and column, when the array is cut short or corrupted', async () => {
    const damage = fc.oneof(
      fc.nat().map((at) => (text: string) => text.slice(0, at % (text.length + 1))),
      fc.tuple(fc.nat(), fc.constantFrom('[', ']', '{', '}', ',', ':', '"', '\\', 'x', '1', ' ', '\u0001', '\u00a0', '\ufeff', '/*')).map(
        ([at, inserted]) =>
          (text: string) =>
            text.slice(0, at % (text.length + 1)) + inserted + text.slice(at % (text.length + 1)),
      ),
      fc.nat().map((at) => (text: string) => text.slice(0, at % (text.length + 1)) + text.slice((at % (text.length + 1)) + 1)),
    );
    await fc.assert(
      fc.asyncProperty(arrayDocument, damage, pieceSizes, async (text, spoil, sizes) => {
        const { file, stdin } = await bothWays(spoil(text), sizes);
        expect(file).to.deep.equal(stdin);
      }),
      { numRuns: 300 },
    );
  });

  it('gives a number that ends one piece with the next piece, as stream-json does, when that piece holds an error', async () => {
    // Found by the property above: the number ends the second piece (before a tab), a record with
    // a broken key begins in the third and ends in a later one. stream-json gives the number only
    // once it sees the comma in the third piece, whose error stops it first: no element at all.
    const text = '\r\n[-3.4646593825360206e-149\t ,{\r\nname":\r\n-0,"__proto__" :[ "x"]}, [],"y",\n[1]]\r\n';
    const { file, stdin } = await bothWays(text, [11, 17, 57]);
    expect(stdin).to.deep.equal({ elements: [], error: { message: 'malformed JSON: expected an object key; fix it where it says', line: 3, col: 1 } });
    expect(file).to.deep.equal(stdin);
  });

  it('gives a record already written as JSON.stringify writes it as its text when asked, and the same elements and errors (property)', async () => {
    const damage = fc.oneof(
      fc.constant((text: string) => text),
      fc.nat().map((at) => (text: string) => text.slice(0, at % (text.length + 1))),
      fc.tuple(fc.nat(), fc.constantFrom(']', '}', ',', '"', '\\', '1')).map(
        ([at, inserted]) =>
          (text: string) =>
            text.slice(0, at % (text.length + 1)) + inserted + text.slice(at % (text.length + 1)),
      ),
    );
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(mixedDocument, damage, pieceSizes, async (text, spoil, sizes) => {
        const open = opener(spoil(text), sizes);
        const file = await read(jsonElements(open(), open, new CanonicalRecords()));
        taken += file.elements.filter((element) => (element as { text?: string }).text !== undefined).length;
        expect(asValues(file)).to.deep.equal(await read(jsonElements(open())));
      }),
      { numRuns: 80 },
    );
    expect(taken, 'records given as text').to.be.greaterThan(20);
  });

  it("keeps a `__proto__` key as the record's own field, the prototype untouched, as JSON.parse does", async () => {
    const text = '[{"__proto__": {"polluted": true}, "name": "Ada"}, {"__proto__": 1}]';
    const { file, stdin } = await bothWays(text, [5]);
    expect(file).to.deep.equal(stdin);
    const first = (file.elements[0] as { value: Record<string, unknown> }).value;
    expect(Object.keys(first)).to.deep.equal(['__proto__', 'name']);
    expect(Object.getPrototypeOf(first)).to.equal(Object.prototype);
    expect((first as { polluted?: unknown }).polluted).to.equal(undefined);
  });

  it('keeps the last value of a repeated key, where the key first stood', async () => {
    const { file, stdin } = await bothWays('[{"a": 1, "b": 2, "a": 3}]', [4]);
    expect(file).to.deep.equal(stdin);
    expect(Object.entries((file.elements[0] as { value: object }).value)).to.deep.equal([
      ['a', 3],
      ['b', 2],
    ]);
  });
});

describe('ArrayScanner', () => {
  it('reads every well-formed array itself, in any pieces, leaving nothing to stream-json', () => {
    fc.assert(
      fc.property(arrayDocument, pieceSizes, (text, sizes) => {
        const scanner = new ArrayScanner();
        const values: unknown[] = [];
        for (let at = 0, i = 0; at < text.length; i++) {
          const size = sizes[i % sizes.length]!;
          const batch = scanner.elementsOf(text.slice(at, at + size));
          expect(batch, `gave up on ${JSON.stringify(text)}`).not.to.equal(undefined);
          for (const { key, value } of batch!) {
            expect(key).to.equal(values.length);
            values.push(value);
          }
          at += size;
        }
        expect(scanner.complete).to.equal(true);
        expect(values).to.deep.equal(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });

  it('gives up on what is not one array: another value, a trailing comma, text after the array, an element cut short', () => {
    for (const text of ['{"a": 1}', '[1,]', '[1] [2]', '[1 2]', '[{"a": 1]', '[,1]', '\ufeff[1]', '[1]x'])
      expect(new ArrayScanner().elementsOf(text), text).to.equal(undefined);
    const scanner = new ArrayScanner();
    expect(scanner.elementsOf('[{"a": "b')).to.deep.equal([]);
    expect(scanner.complete).to.equal(false);
  });
});
