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
const CANONICAL_FLAT_OBJECT = new RegExp(String.raw`^\{(?:${KEY}:${VALUE}(?:,${KEY}:${VALUE})*)?\}$`);

/**
 * Whether `line` (text decoded from UTF-8) is a record that needs no parse to be written back:
 * valid JSON, and exactly what `JSON.stringify(JSON.parse(line))` writes, with no `_meta` key. The
 * shape is checked by one pattern, which also validates it as JSON; a key written twice (which a
 * parse would keep once) or named `_meta` (which the pipeline reads) sends the line the usual way.
 */
export function isCanonicalRecordLine(line: string): boolean {
  return CANONICAL_FLAT_OBJECT.test(line) && distinctKeys(line);
}

/**
 * The keys of the last line found distinct (none of them `_meta`): the lines of one export have
 * the same keys in the same order, so most lines are settled by comparing their keys with these.
 */
let lastKeys: string[] = [];

/**
 * Whether no key of a line that passed the pattern is written twice or is `_meta`. Every `"` of
 * such a line is a delimiter, and only a key's closing quote is followed by `:`; a key's escapes
 * are written one way only, so two keys are the same when their texts are.
 */
function distinctKeys(line: string): boolean {
  let i = 0;
  let at = line.indexOf('":');
  for (; at !== -1 && i < lastKeys.length; at = line.indexOf('":', at + 2), i++) {
    const key = lastKeys[i]!;
    const start = at - key.length;
    if (line.charCodeAt(start - 1) !== 34 || !line.startsWith(key, start)) break;
  }
  if (at === -1 && i === lastKeys.length) return true;
  const keys = new Set<string>();
  for (at = line.indexOf('":'); at !== -1; at = line.indexOf('":', at + 2)) {
    const key = line.slice(line.lastIndexOf('"', at - 1) + 1, at);
    if (key === '_meta' || keys.has(key)) return false;
    keys.add(key);
  }
  lastKeys = [...keys];
  return true;
}
