import { expect } from 'chai';
import fc from 'fast-check';
import { repairMojibake, repairText } from '../../../lib/normalize/index.js';
import { repairTextThroughSteps } from '../../../lib/normalize/name.js';
import { checkVectors, type Vector } from './vectors.js';

/** Garbles text the way the original data was: UTF-8 bytes read as cp1252. */
function garble(text: string): string {
  return new TextDecoder('windows-1252').decode(new TextEncoder().encode(text));
}

const vectors: Vector[] = [
  ['Élodie Gagnon', 'Élodie Gagnon'],
  ['Ã‰milie CÃ´tÃ©', 'Émilie Côté'],
  ['FranÃ§ois Bouchard', 'François Bouchard'],
  ['JÃ¼rgen MÃ¼ller', 'Jürgen Müller'],
  ['HÃ¨lÃ¨ne', 'Hèlène'],
  ['Oâ€™Neil', 'O’Neil'],
  ['â€œAcmeâ€\u009D', '“Acme”'],
  ['Jean â€“ Marc', 'Jean – Marc'],
  ['RenÃ©e\u00A0Roy', 'Renée Roy'],
  ['Â Marc', 'Marc'],
  ['Marc\u200B Roy', 'Marc Roy'],
  ['\uFEFFMarc Roy', 'Marc Roy'],
  ['Marc\u00ADRoy', 'MarcRoy'],
  ['\u202Eevil name', 'evil name'],
  ['Acme\u202D Corp\u202C', 'Acme Corp'],
  ['\u2067שלום\u2069 Cohen', 'שלום Cohen'],
  ['שלום\u200F (Tel Aviv)', 'שלום\u200F (Tel Aviv)'],
  ['  Marc   Roy  ', 'Marc Roy'],
  ['Marc\tRoy\n', 'Marc Roy'],
  ['Jean-François Côté', 'Jean-François Côté'],
  ['Zoë Smith', 'Zoë Smith'],
  ['Rene\u0301e', 'Renée'],
  ['Ã', 'Ã'],
  ['Â£100', '£100'],
  ['李小龍', '李小龍'],
  ['Müller', 'Müller'],
  ['«CAFÉ» — Montréal', '«CAFÉ» — Montréal'],
  ['SÃO PAULO', 'SÃO PAULO'],
  ['', ''],
  [`${'é'.repeat(5000)}`, `${'é'.repeat(5000)}`],
];

describe('repairText', () => {
  checkVectors(repairText, vectors);

  it('repairs text garbled twice', () => {
    expect(repairMojibake(garble(garble('Côté')))).to.equal('Côté');
  });

  it('undoes cp1252 garbling of any text (property)', () => {
    // Words as they appear in names and companies; a Latin-1 letter followed by two cp1252
    // punctuation marks (`é——`) is ambiguous and left out on purpose.
    const word = fc.constantFrom(
      'Élodie',
      'Côté',
      'François',
      'Müller',
      'Hélène',
      'Œuvre',
      'Zoë',
      'O’Neil',
      '“Acme”',
      '–',
      '—',
      'Ça',
      'Gagnon',
      'Straße',
      'Ñandú',
      '€5',
    );
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 6 }).map((w) => w.join(' ')),
        (text) => {
          expect(repairMojibake(garble(text))).to.equal(text);
        },
      ),
      { seed: 5, numRuns: 500 },
    );
  });

  it('gives its own output back unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const once = repairText(text).value!;
        expect(repairText(once).value).to.equal(once);
      }),
      { seed: 9, numRuns: 500 },
    );
  });

  it('gives what the full repair gives for any ASCII and Latin-1 text, mojibake and stray spaces included (property)', () => {
    const latin1 = Array.from({ length: 0xe0 }, (_, i) => String.fromCharCode(0x20 + i));
    const char = fc.oneof(fc.constantFrom(...latin1), fc.constantFrom('Ã©', 'Ã', 'Â', 'â€™', '\u200B', '\u0301', '\u00AD', '\u00A0', '\t', '  ', 'é'));
    fc.assert(
      fc.property(
        fc.array(char, { maxLength: 12 }).map((chars) => chars.join('')),
        (text) => {
          expect(repairText(text), JSON.stringify(text)).to.deep.equal(repairTextThroughSteps(text));
        },
      ),
      { seed: 37, numRuns: 5000 },
    );
  });

  it('finds every pair of Latin-1 characters already in NFC, so the Latin-1 shortcut may skip normalization', () => {
    const chars = Array.from({ length: 0xe0 }, (_, i) => String.fromCharCode(0x20 + i));
    const changed = chars.flatMap((a) => chars.map((b) => a + b)).filter((pair) => pair.normalize('NFC') !== pair);
    expect(changed).to.deep.equal([]);
  });
});
