import type { Readable } from 'node:stream';
import { isMany, none } from 'stream-chain/defs.js';
import fixUtf8Stream from 'stream-chain/utils/fixUtf8Stream.js';
import { jsonParser } from 'stream-json/core/parser.js';
import streamArray from 'stream-json/core/streamers/stream-array.js';
import verifier from 'stream-json/utils/verifier.js';
import type { CanonicalRecords } from '../core/jsonl-canonical.js';
import { ArrayScanner, type JsonElement } from './json-array-scan.js';

export type { JsonElement } from './json-array-scan.js';

/**
 * The elements of a file holding one JSON array, a piece of input at a time (stream-json): memory
 * holds one piece and its elements, whatever the file's size. stream-json's decoder, tokenizer and
 * array streamer are called as the plain functions they are, one piece in and its elements out,
 * with no object streams between them to hold tokens in flight. A document that is not one
 * well-formed array is an error saying where: the parser says what is wrong, and stream-json's
 * verifier, reading the same text beside it, says at which line and column. A file is first read
 * by a scanner that leaves each element to JSON.parse (json-array-scan.ts), much faster than a
 * tokenizer; stream-json reads it only when the scanner finds something it does not expect, and
 * so remains what decides which elements come out and what the error says.
 */

/** Why the document is not one JSON array, and where. */
export class MalformedJson extends Error {
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly col: number | undefined,
  ) {
    super(message);
  }
}

/**
 * The elements of the array `input` holds, in batches (one per piece of input); throws MalformedJson
 * when it holds something else or is cut short. `reread` opens the same text again: given (a
 * file), the array is read quickly (ArrayScanner and JSON.parse) and, should that find anything
 * it does not expect, read again with stream-json from the start, the elements already given
 * skipped, so what comes out and the error are stream-json's; the verifier reads the file only
 * after a failure, to say where. Not given (stdin, read once), stream-json reads it, and the
 * verifier reads the text beside the parser, each piece before the parser does. With `canonical`,
 * the scanner gives a record already in the form JSON.stringify writes as its text (JsonElement).
 */
export async function* jsonElements(input: Readable, reread?: () => Readable, canonical?: CanonicalRecords): AsyncGenerator<JsonElement[]> {
  if (!reread) return yield* streamedElements(input);
  const given = yield* scannedElements(input, canonical);
  if (given === undefined) return;
  for await (const batch of streamedElements(reread(), reread)) {
    const rest = batch[0].key >= given ? batch : batch.filter((element) => element.key >= given);
    if (rest.length) yield rest;
  }
}

/**
 * The elements of a simply well-formed array, a batch per piece; returns undefined when the whole
 * array was read, or how many elements were given before the scanner gave up. stream-json gives
 * no element of a piece holding an error, and the scanner sees an element's errors only once it
 * has the whole element: so a piece's elements are given only once everything in the piece has
 * been checked (the element it ends inside included), and reading again from the start gives the
 * same elements before the same error.
 */
async function* scannedElements(input: Readable, canonical?: CanonicalRecords): AsyncGenerator<JsonElement[], number | undefined> {
  const pieces = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const decode = fixUtf8Stream();
  const scanner = new ArrayScanner(canonical);
  let given = 0;
  /** The elements of the piece the element not yet given began in, which wait for it. */
  let waiting: JsonElement[] = [];
  /** The elements of `text` that are ready to give; undefined once the scanner gives up. */
  const read = (text: string): JsonElement[] | undefined => {
    // A number or literal the last piece ended after is given by stream-json in this piece, with
    // this piece's elements, so it waits as they do.
    const scalarBefore = scanner.endsAfterScalar;
    const batch = scanner.elementsOf(text);
    if (!batch) return undefined;
    if (!scanner.endsInElement) {
      const ready = waiting.length ? [...waiting, ...batch] : batch;
      waiting = [];
      return ready;
    }
    if (!scanner.endsInElementBegunThere || scalarBefore) {
      // The piece is all one element's, or it ends after that number or literal, or the number
      // the last piece ended after is given with this piece's elements: they wait together.
      if (batch.length) waiting = [...waiting, ...batch];
      return [];
    }
    // The element the waiting ones waited for ended in this piece, and another began.
    const ready = waiting;
    waiting = batch;
    return ready;
  };
  try {
    for (let next = await pieces.next(); !next.done; next = await pieces.next()) {
      const batch = read(decode(next.value) as string);
      if (!batch) return given;
      given += batch.length;
      if (batch.length) yield batch;
    }
    const rest = decode(none as unknown as string) as string;
    const batch = rest ? read(rest) : waiting;
    if (!batch || !scanner.complete) return given;
    if (batch.length) yield batch;
    return undefined;
  } finally {
    await pieces.return?.();
  }
}

/** The elements as stream-json reads them, with its errors and the verifier's positions. */
async function* streamedElements(input: Readable, reread?: () => Readable): AsyncGenerator<JsonElement[]> {
  const beside = reread ? undefined : new Verifier();
  const pieces = (input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const decode = fixUtf8Stream();
  // Packed values only: what streamArray reads, at half the tokens of the streamed ones.
  const tokenize = jsonParser({ packKeys: true, streamValues: false });
  const elements = streamArray();
  const elementsOf = (text: string | typeof none): JsonElement[] => {
    const batch: JsonElement[] = [];
    const tokens = tokenize(text as string);
    if (tokens === none) return batch;
    for (const token of isMany(tokens) ? tokens.values : [tokens]) {
      const element = elements(token);
      if (element !== none) batch.push(element as JsonElement);
    }
    return batch;
  };
  try {
    for (let next = await pieces.next(); !next.done; next = await pieces.next()) {
      await beside?.write(next.value);
      const batch = elementsOf(decode(next.value) as string);
      if (batch.length) yield batch;
    }
    beside?.end();
    const rest = decode(none as unknown as string) as string;
    const batch = [...(rest ? elementsOf(rest) : []), ...elementsOf(none)];
    if (batch.length) yield batch;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) throw error;
    const where = beside ? await beside.readOn(pieces) : await Verifier.of(reread!());
    if (where) throw new MalformedJson(describe(where.message), where.line, where.pos);
    throw new MalformedJson(describe((error as Error).message), undefined, undefined);
  } finally {
    beside?.stop();
    await pieces.return?.();
  }
}

/** Where the text stops being JSON, as stream-json's verifier says it. */
interface Where {
  line: number;
  pos: number;
  message: string;
}

/** stream-json's verifier, fed a piece at a time and waited for when it falls behind (so memory stays flat). */
class Verifier {
  private readonly check = verifier.asStream();
  private failed = false;
  private ended = false;
  /** Where the text stops being JSON, once the verifier has seen it; undefined when it is whole. */
  readonly verdict: Promise<Where | undefined>;

  constructor() {
    this.check.on('error', () => {
      this.failed = true;
    });
    this.verdict = new Promise((resolve) => {
      this.check.once('error', (error: Error & Where) => resolve(error));
      this.check.once('finish', () => resolve(undefined));
    });
    this.check.resume();
  }

  /** The verdict on a whole file, read from the start. */
  static async of(input: Readable): Promise<Where | undefined> {
    const verifier = new Verifier();
    try {
      return await verifier.readOn((input as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]());
    } finally {
      verifier.stop();
      input.destroy();
    }
  }

  async write(piece: Buffer | string): Promise<void> {
    if (this.failed || this.check.write(piece)) return;
    await Promise.race([new Promise((resolve) => this.check.once('drain', resolve)), this.verdict]);
  }

  end(): void {
    if (!this.failed && !this.ended) this.check.end();
    this.ended = true;
  }

  /** Reads the rest of the input to its end, or to the first thing wrong: only at the end can it say the text was cut short. */
  async readOn(pieces: AsyncIterator<Buffer | string>): Promise<Where | undefined> {
    if (!this.ended) for (let next = await pieces.next(); !next.done && !this.failed; next = await pieces.next()) await this.write(next.value);
    this.end();
    return this.verdict;
  }

  stop(): void {
    this.check.destroy();
  }
}

function describe(message: string): string {
  if (/top-level object should be an array/i.test(message))
    return 'the file holds one JSON value that is not an array; give a file holding one array of records';
  const text = message.replace(/^ERROR at \d+ \(\d+, \d+\): /, '');
  // The verifier says "has expected" only at the end of the input: the text stops mid-document.
  if (/^Verifier has expected/.test(text)) return `the file ends inside the array (${text.replace(/^Verifier has /, '')}): it was cut short; export it again`;
  return `malformed JSON: ${text.replace(/^(Parser|Verifier) cannot parse input: /, '').replace(/\.$/, '')}; fix it where it says`;
}
