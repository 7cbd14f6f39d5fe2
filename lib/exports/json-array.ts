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

/**
 * The elements of the array `input` holds; throws MalformedJson when it holds something else or is
 * cut short. `reread` opens the same text again: given (a file), the verifier reads it only after a
 * failure, to say where; not given (stdin, read once), it reads the text beside the parser.
 */
export async function* jsonElements(input: Readable, reread?: () => Readable): AsyncGenerator<JsonElement> {
  const beside = reread ? undefined : verify(input);
  // Packed values only: what streamArray reads, at half the tokens of the streamed ones.
  const parsed = streamArray.withParserAsStream({ streamValues: false });
  input.once('error', (error) => parsed.destroy(error));
  input.pipe(parsed);
  try {
    for await (const item of parsed as AsyncIterable<{ key: number; value: unknown }>) yield { index: item.key, value: item.value };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== undefined) throw error;
    const where = await (beside ?? verify(reread!())).verdict;
    if (where) throw new MalformedJson(describe(where.message), where.line, where.pos);
    throw new MalformedJson(describe((error as Error).message), undefined, undefined);
  } finally {
    beside?.stop();
  }
}

/** stream-json's verifier over `input`: where the text stops being JSON, if it does. */
function verify(input: Readable): { verdict: Promise<{ line: number; pos: number; message: string } | undefined>; stop(): void } {
  const check = verifier.asStream();
  const verdict = new Promise<{ line: number; pos: number; message: string } | undefined>((resolve) => {
    check.once('error', (error: Error & { line: number; pos: number }) => resolve(error));
    check.once('finish', () => resolve(undefined));
  });
  check.resume();
  input.pipe(check);
  return {
    verdict,
    stop() {
      input.unpipe(check);
      check.destroy();
    },
  };
}

function describe(message: string): string {
  if (/top-level object should be an array/i.test(message))
    return 'the file holds one JSON value that is not an array; give a file holding one array of records';
  const text = message.replace(/^ERROR at \d+ \(\d+, \d+\): /, '');
  // The verifier says "has expected" only at the end of the input: the text stops mid-document.
  if (/^Verifier has expected/.test(text)) return `the file ends inside the array (${text.replace(/^Verifier has /, '')}): it was cut short; export it again`;
  return `malformed JSON: ${text.replace(/^(Parser|Verifier) cannot parse input: /, '').replace(/\.$/, '')}; fix it where it says`;
}
