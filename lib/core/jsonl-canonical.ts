/**
 * Lines that are already what `JSON.stringify` writes for their value, so a run that only passes
 * records from a JSON Lines reader to a JSON Lines writer can write them as they were read instead
 * of building each record and serializing it again. The test is narrow on purpose: a flat object
 * of strings, `null`, `true`, `false` and integers of up to 15 digits, written without spaces,
 * with only the escapes `JSON.stringify` writes (and no escaped quote), no key made of digits only
 * (JavaScript lists those first) and no key twice. Anything else takes the usual way.
 */

// String content as JSON.stringify writes it: any character but `"`, `\` and controls, and the
// escapes it uses (`\\`, `\b \f \n \r \t`, `\u00XX` in lower case for the other controls). An
// escaped quote is left to the usual way, so that every `"` of a line that passes is a delimiter.
const CONTENT = String.raw`[^"\\\x00-\x1f]*(?:\\(?:[\\bfnrt]|u00(?:0[0-7bef]|1[0-9a-f]))[^"\\\x00-\x1f]*)*`;
// A key made of digits only is an array index to JavaScript, which lists it before the others.
const KEY = `"(?![0-9]+")${CONTENT}"`;
// Integers JSON.stringify writes as they are: no leading zero, no `-0`, at most 15 digits (a double holds them exactly).
const VALUE = `(?:"${CONTENT}"|null|true|false|0|-?[1-9][0-9]{0,14})`;
// A record's text in that form; it ends where its closing brace is, whatever follows it.
const CANONICAL_RECORD = String.raw`\{(?:${KEY}:${VALUE}(?:,${KEY}:${VALUE})*)?\}`;
const CANONICAL_FLAT_OBJECT = new RegExp(`^${CANONICAL_RECORD}$`);

/**
 * Records in that form, as one reader finds them: whole lines (JSON Lines), or records within a
 * longer text (the elements of a JSON array). A reader that renames keys passes which keys it
 * keeps as they are; a record with any other key takes the usual way.
 */
export class CanonicalRecords {
  /**
   * The keys of the last record found distinct (none of them `_meta`): the records of one export
   * have the same keys in the same order, so most are settled by comparing their keys with these.
   */
  private lastKeys: string[] = [];
  private readonly recordAt = new RegExp(CANONICAL_RECORD, 'y');

  /** `keepsKey`: whether a key, as its text is written between its quotes, is kept as it is. */
  constructor(private readonly keepsKey: (keyText: string) => boolean = () => true) {}

  /**
   * Whether `line` (text decoded from UTF-8) is a record that needs no parse to be written back:
   * valid JSON, and exactly what `JSON.stringify(JSON.parse(line))` writes, with no `_meta` key. The
   * shape is checked by one pattern, which also validates it as JSON; a key written twice (which a
   * parse would keep once) or named `_meta` (which the pipeline reads) sends the line the usual way.
   */
  isRecordLine(line: string): boolean {
    return CANONICAL_FLAT_OBJECT.test(line) && this.distinctKeys(line);
  }

  /**
   * Where the record that starts at `from` in `text` ends (the index after its closing brace),
   * when it is one that needs no parse to be written back (as isRecordLine); -1 when it is not.
   */
  recordEnd(text: string, from: number): number {
    this.recordAt.lastIndex = from;
    if (!this.recordAt.test(text)) return -1;
    const end = this.recordAt.lastIndex;
    return this.distinctKeys(text.slice(from, end)) ? end : -1;
  }

  /**
   * Whether no key of a record that passed the pattern is written twice, is `_meta` or is one the
   * reader does not keep. Every `"` of such a record is a delimiter, and only a key's closing quote
   * is followed by `:`; a key's escapes are written one way only, so two keys are the same when
   * their texts are.
   */
  private distinctKeys(record: string): boolean {
    const lastKeys = this.lastKeys;
    let i = 0;
    let at = record.indexOf('":');
    for (; at !== -1 && i < lastKeys.length; at = record.indexOf('":', at + 2), i++) {
      const key = lastKeys[i]!;
      const start = at - key.length;
      if (record.charCodeAt(start - 1) !== 34 || !record.startsWith(key, start)) break;
    }
    if (at === -1 && i === lastKeys.length) return true;
    const keys = new Set<string>();
    for (at = record.indexOf('":'); at !== -1; at = record.indexOf('":', at + 2)) {
      const key = record.slice(record.lastIndexOf('"', at - 1) + 1, at);
      if (key === '_meta' || keys.has(key) || !this.keepsKey(key)) return false;
      keys.add(key);
    }
    this.lastKeys = [...keys];
    return true;
  }
}

const lines = new CanonicalRecords();

/** Whether a JSON Lines line is a record that needs no parse to be written back (CanonicalRecords.isRecordLine). */
export function isCanonicalRecordLine(line: string): boolean {
  return lines.isRecordLine(line);
}

/**
 * A canonical record's text as a JSON Lines line, with `_meta: { <where>: position }` added as
 * `JSON.stringify` would add it last (`{}` takes it as its only key), or as it is without `_meta`.
 */
export function canonicalLine(record: string, where: 'line' | 'index', position: number, withoutMeta: boolean): string {
  if (withoutMeta) return `${record}\n`;
  return `${record.length === 2 ? '{' : `${record.slice(0, -1)},`}"_meta":{"${where}":${position}}}\n`;
}
