/**
 * A bounded memo for canonicalizers whose inputs repeat (a company name on many leads, one website
 * per company, a handful of statuses). When it holds `limit` entries it starts over: memory stays
 * bounded whatever the size of the data, and the common values come back within a few records.
 */
export function memo<R>(fn: (input: string) => R, limit = 5_000): (input: string) => R {
  let cache = new Map<string, R>();
  return (input) => {
    let result = cache.get(input);
    if (result === undefined) {
      result = fn(input);
      if (cache.size >= limit) cache = new Map();
      cache.set(input, result);
    }
    return result;
  };
}
