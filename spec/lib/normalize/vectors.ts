import { expect } from 'chai';
import type { Canonical } from '../../../lib/normalize/index.js';

/**
 * One test vector: the input, the value expected (`null` = not standardized, kept as it was) and
 * the problem codes expected (none when omitted).
 */
export type Vector<I = string> = [input: I, expected: string | null, problems?: string[]];

/** Checks a canonicalizer against a table of vectors, one `it` per vector. */
export function checkVectors<I>(canonical: (input: I) => Canonical, vectors: Vector<I>[]): void {
  for (const [input, expected, problems = []] of vectors) {
    const title =
      expected === null
        ? `keeps ${JSON.stringify(input)?.slice(0, 60)} and flags ${problems.join(', ')}`
        : `turns ${JSON.stringify(input)?.slice(0, 60)} into ${JSON.stringify(expected).slice(0, 60)}${problems.length ? ` and flags ${problems.join(', ')}` : ''}`;
    it(title, () => {
      const result = canonical(input);
      expect(result.value ?? null, 'value').to.equal(expected);
      expect(
        result.problems.map((p) => p.code),
        'problems',
      ).to.deep.equal(problems);
      if (expected !== null && expected !== input) expect(result.steps, 'steps').to.not.be.empty;
      if (expected === input) expect(result.steps, 'steps').to.be.empty;
      for (const p of result.problems) expect(p.message).to.match(/\.$/);
    });
  }
}

/** Checks that a canonicalizer is a fixed point on its own output. */
export function checkIdempotent(canonical: (input: string) => Canonical, inputs: string[]): void {
  for (const input of inputs) {
    const once = canonical(input);
    if (once.value === undefined) continue;
    const twice = canonical(once.value);
    expect(twice.value, `second pass over ${JSON.stringify(input)}`).to.equal(once.value);
    expect(twice.steps, `second pass over ${JSON.stringify(input)}`).to.deep.equal([]);
  }
}
