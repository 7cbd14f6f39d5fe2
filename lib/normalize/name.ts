import type { Canonical } from './result.js';

/**
 * Text repair for names, companies and titles: mojibake (UTF-8 read as cp1252/Latin-1), zero-width
 * characters, stray whitespace. Accents are kept (the data is largely French-Canadian); the text is
 * put in Unicode NFC so `é` typed two ways is one string.
 */

// cp1252 characters 0x80–0x9F that differ from Latin-1; the others map to their own code point.
const CP1252: Record<string, number> = {
  '€': 0x80,
  '‚': 0x82,
  ƒ: 0x83,
  '„': 0x84,
  '…': 0x85,
  '†': 0x86,
  '‡': 0x87,
  ˆ: 0x88,
  '‰': 0x89,
  Š: 0x8a,
  '‹': 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  '‘': 0x91,
  '’': 0x92,
  '“': 0x93,
  '”': 0x94,
  '•': 0x95,
  '–': 0x96,
  '—': 0x97,
  '˜': 0x98,
  '™': 0x99,
  š: 0x9a,
  '›': 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
};
const CONT = '\\u0080-\\u00BF€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
// A UTF-8 lead byte followed by continuation bytes, as cp1252 text. Two-byte leads are limited to
// Â Ã Ä Å (Latin-1 letters, Œ/œ/Š/Ÿ): `É—` or `È»` are more likely real text than mojibake.
const MOJIBAKE = new RegExp(`[\\u00C2-\\u00C5\\u00E0-\\u00F4][${CONT}]{1,3}`, 'g');
// The lead byte of a no-break space left alone once its second byte became a plain space.
const STRAY_A = /Â(?= |$)/g;
const MOJIBAKE_TEST = new RegExp(MOJIBAKE.source);
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
// Explicit direction controls (embeddings, overrides, isolates): invisible, and an override shows
// what follows it reversed (`\u202Eevil` reads `live`), so one name can pose as another. Direction
// marks (U+200E, U+200F) stay: they only place punctuation within right-to-left text.
const DIRECTION_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
const SPACES = /[\s\u00A0\u2000-\u200A\u202F\u205F\u3000]+/g;
const decoder = new TextDecoder('utf-8', { fatal: true });
const CLEAN_ASCII = /^(?:[\x21-\x7E]+(?: [\x21-\x7E]+)*)?$/;

/** Printable ASCII words separated by single spaces, nothing around them: text with nothing to repair. */
export function isCleanAscii(text: string): boolean {
  return CLEAN_ASCII.test(text);
}

function toByte(char: string): number | undefined {
  const code = char.charCodeAt(0);
  return CP1252[char] ?? (code <= 0xff ? code : undefined);
}

/** Decodes one mojibake sequence back to its character, or returns it unchanged if it is not one. */
function decodeSequence(sequence: string): string {
  const bytes: number[] = [];
  for (const char of sequence) {
    const byte = toByte(char);
    if (byte === undefined) return sequence;
    bytes.push(byte);
  }
  const lead = bytes[0];
  const expected = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  if (bytes.length < expected) return sequence;
  try {
    return decoder.decode(Uint8Array.from(bytes.slice(0, expected))) + sequence.slice(expected);
  } catch {
    return sequence;
  }
}

/** Repairs UTF-8 text that was decoded as cp1252 (`Ã©` → `é`, `â€™` → `’`), twice-garbled text too. */
export function repairMojibake(text: string): string {
  let current = text;
  // Text garbled twice needs two passes; a third pass never finds anything in real data.
  for (let pass = 0; pass < 3 && MOJIBAKE_TEST.test(current); pass++) {
    const next = current.replace(MOJIBAKE, decodeSequence);
    if (next === current) break;
    current = next;
  }
  return current.replace(STRAY_A, '');
}

/**
 * Repairs one text value: mojibake, zero-width characters, direction controls, whitespace
 * (collapsed, trimmed), NFC.
 * Returns the steps that changed something; never a problem (text is text).
 */
export function repairText(value: string): Canonical {
  if (isRepairedText(value)) return { value, steps: [], problems: [] };
  return repairTextThroughSteps(value);
}

/** True when `repairText` would leave the value as it is (so a caller can skip it). */
export function isRepairedText(value: string): boolean {
  // Most values are plain ASCII with single spaces: nothing to repair, and this test is cheap.
  // Accented names are Latin-1 text: already NFC, with nothing but mojibake to look for.
  return CLEAN_ASCII.test(value) || (CLEAN_LATIN1.test(value) && !MOJIBAKE_TEST.test(value) && !STRAY_A_TEST.test(value));
}

// Printable ASCII and Latin-1 (no no-break space, no soft hyphen) in single-spaced words.
const CLEAN_LATIN1 = /^[\x21-\x7E\u00A1-\u00AC\u00AE-\u00FF]+(?: [\x21-\x7E\u00A1-\u00AC\u00AE-\u00FF]+)*$/;
const STRAY_A_TEST = new RegExp(STRAY_A.source);

/** `repairText` for any text, every step run (what `repairText` gives for every input). */
export function repairTextThroughSteps(value: string): Canonical {
  const steps: string[] = [];
  let text = value;
  const repaired = repairMojibake(text);
  if (repaired !== text) steps.push('mojibake');
  text = repaired;
  const visible = text.replace(ZERO_WIDTH, '');
  if (visible !== text) steps.push('zero_width');
  text = visible;
  const undirected = text.replace(DIRECTION_CONTROLS, '');
  if (undirected !== text) steps.push('direction_controls');
  text = undirected;
  const spaced = text.replace(SPACES, ' ').trim();
  if (spaced !== text) steps.push('whitespace');
  text = spaced;
  const composed = text.normalize('NFC');
  if (composed !== text) steps.push('unicode_nfc');
  return { value: composed, steps, problems: [] };
}
