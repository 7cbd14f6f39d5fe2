import { expect } from 'chai';
import fc from 'fast-check';
import { canonicalPersonName, PERSON_NAME_DEFAULTS } from '../../../lib/normalize/person.js';
import { checkVectors, type Vector } from './vectors.js';

const vectors: Vector[] = [
  ['Marc Gagnon', 'Marc Gagnon'],
  ['MARC GAGNON', 'Marc Gagnon'],
  ['jane doe', 'Jane Doe'],
  ['jean-françois roy', 'Jean-François Roy'],
  ['marie-ève côté', 'Marie-Ève Côté'],
  ['ÉLODIE GAGNON', 'Élodie Gagnon'],
  ['sean mcdonald', 'Sean McDonald'],
  ['IAN MACLEOD', 'Ian MacLeod'],
  ['maria machado', 'Maria Machado'],
  ['MARK MACK', 'Mark Mack'],
  ["o'brien", "O'Brien"],
  ['PATRICK O’NEIL', 'Patrick O’Neil'],
  ["pierre d'amours", "Pierre d'Amours"],
  ["d'amours", "D'Amours"],
  ["l'heureux", "L'Heureux"],
  ['charles de gaulle', 'Charles de Gaulle'],
  ['JEAN DE LA FONTAINE', 'Jean de la Fontaine'],
  ['ludwig van beethoven', 'Ludwig van Beethoven'],
  ['VINCENT VAN DER BERG', 'Vincent van der Berg'],
  ['otto von bismarck', 'Otto von Bismarck'],
  ['marie du bois', 'Marie du Bois'],
  ['marie le blanc', 'Marie Le Blanc'],
  ['de gaulle', 'De Gaulle'],
  ['john smith iii', 'John Smith III'],
  ['JOHN SMITH JR.', 'John Smith Jr.'],
  ['j. r. tolkien', 'J. R. Tolkien'],
  ['GAGNON, MARC', 'Gagnon, Marc'],
  ['McDonald', 'McDonald'],
  ['DeShawn Jones', 'DeShawn Jones'],
  ['van Houten', 'van Houten'],
  ['jean ROY', 'jean ROY'],
  ['李小龍', '李小龍'],
  ['42', '42'],
];

describe('canonicalPersonName', () => {
  checkVectors((v: string) => canonicalPersonName(v), vectors);

  it('leaves the case alone when normalize_case is off', () => {
    expect(canonicalPersonName('MARC GAGNON', { ...PERSON_NAME_DEFAULTS, normalize_case: false }).value).to.equal('MARC GAGNON');
  });

  it('gives its own output back unchanged, for any name in one case (property)', () => {
    const word = fc.constantFrom(
      'marc',
      'gagnon',
      'jean-françois',
      'côté',
      'mcdonald',
      'macleod',
      "o'brien",
      "d'amours",
      'de',
      'la',
      'van',
      'der',
      'iii',
      'jr.',
      'é',
      'ß',
      'straße',
      'i̇stanbul',
      '-',
      "'",
      'mc',
      'mac',
    );
    const name = fc
      .tuple(fc.array(word, { minLength: 1, maxLength: 5 }), fc.boolean())
      .map(([words, upper]) => (upper ? words.join(' ').toUpperCase() : words.join(' ')));
    fc.assert(
      fc.property(fc.oneof(name, fc.string({ unit: 'grapheme' })), (input) => {
        const once = canonicalPersonName(input).value!;
        const twice = canonicalPersonName(once);
        expect(twice.value, JSON.stringify(input)).to.equal(once);
        expect(twice.steps).to.deep.equal([]);
      }),
      { seed: 24, numRuns: 3000 },
    );
  });

  it('changes nothing but the case of letters', () => {
    for (const [input] of vectors) expect(canonicalPersonName(input).value!.toLowerCase()).to.equal(input.toLowerCase());
  });
});
