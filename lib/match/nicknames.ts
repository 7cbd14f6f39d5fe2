import NICKNAMES from './nicknames.json' with { type: 'json' };

/**
 * The nickname table (`nicknames.json`: a first name, folded as `nameKey` folds it, and the short
 * forms it goes by), read once when the module loads. A nickname stands for each name that lists
 * it, and never joins two names to each other: `pat` is Patrick's and Patricia's, but Patrick is
 * not Patricia. A name of two words (`jean francois`) lists the initials it is written as (`jf`).
 */

/** Per nickname, the one-word names it stands for. */
const NAMES_OF = new Map<string, string[]>();
/** Per nickname of a two-word name (`jf`), the words of each name it stands for. */
const COMPOUNDS_OF = new Map<string, string[][]>();

const FOLDED = /^[a-z]+(?: [a-z]+)?$/;
for (const [name, nicknames] of Object.entries(NICKNAMES as Record<string, string[]>)) {
  for (const text of [name, ...nicknames]) {
    if (!FOLDED.test(text) || (text !== name && text.includes(' '))) {
      throw new Error(
        `lib/match/nicknames.json: "${text}" (under "${name}") is not a folded name: write names as lower-case ASCII words, nicknames as one word.`,
      );
    }
  }
  const words = name.split(' ');
  for (const nickname of nicknames) {
    if (words.length === 1) NAMES_OF.set(nickname, [...(NAMES_OF.get(nickname) ?? []), name]);
    else COMPOUNDS_OF.set(nickname, [...(COMPOUNDS_OF.get(nickname) ?? []), words]);
  }
}

/** True when one word is a nickname of the other (`bob`/`robert`), or both of one name (`bob`/`rob`). */
export function areNicknames(x: string, y: string): boolean {
  const namesX = NAMES_OF.get(x);
  const namesY = NAMES_OF.get(y);
  if (namesX?.includes(y) || namesY?.includes(x)) return true;
  return namesX !== undefined && namesY !== undefined && namesX.some((name) => namesY.includes(name));
}

/**
 * Two names' words with a nickname of a two-word name (`jf`) replaced by its words, where the
 * other name has them and this one does not (`jf roy` and `francois jean roy`): the names as
 * they would be written in full. Names with no such nickname come back as they are.
 */
export function expandCompounds(x: string[], y: string[]): [string[], string[]] {
  return [expandAgainst(x, y), expandAgainst(y, x)];
}

function expandAgainst(words: string[], other: string[]): string[] {
  let expanded: string[] | undefined;
  for (const word of words) {
    const compounds = COMPOUNDS_OF.get(word);
    if (compounds === undefined) continue;
    const full = compounds.find((parts) => parts.every((p) => other.includes(p)) && !parts.some((p) => words.includes(p)));
    if (full) expanded = [...(expanded ?? words).filter((w) => w !== word), ...full];
  }
  return expanded ?? words;
}
