import type { Readable } from 'node:stream';
import streamArray from 'stream-json/streamers/stream-array.js';
import verifier from 'stream-json/utils/verifier.js';

/**
 * The elements of a file holding one JSON array, one at a time (stream-json): memory holds one
 * element, whatever the file's size. A document that is not one well-formed array is an error
 * saying where: the parser says what is wrong, and stream-json's verifier, reading the same text
 * beside it, says at which line and column.
 */

/** One element of the array and its 0-based index. */
export interface JsonElement {
  index: number;
  value: unknown;
}

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

/** The elements of the array `input` holds; throws MalformedJson when it holds something else or is cut short. */
export async function* jsonElements(input: Readable): AsyncGenerator<JsonElement> {
  const check = verifier.asStream();
  const verdict = new Promise<{ line: number; pos: number; message: string } | undefined>((resolve) => {
    check.once('error', (error: Error & { line: number; pos: number }) => resolve(error));
    check.once('finish', () => resolve(undefined));
  });
  check.resume();
  const parsed = streamArray.withParserAsStream();
  input.once('error', (error) => parsed.destroy(error));
  input.pipe(check);
  input.pipe(parsed);
  try {
    for await (const item of parsed as AsyncIterable<{ key: number; value: unknown }>) yield { index: item.key, value: item.value };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) throw error;
    const where = await verdict;
    if (where) throw new MalformedJson(describe(where.message), where.line, where.pos);
    throw new MalformedJson(describe((error as Error).message), undefined, undefined);
  } finally {
    input.unpipe(check);
    check.destroy();
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
