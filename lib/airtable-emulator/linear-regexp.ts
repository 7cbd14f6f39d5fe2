import { setFlagsFromString } from 'node:v8';

/**
 * Regular expressions from requests (REGEX_MATCH in formulas) run on V8's linear-time engine
 * (the `l` flag), so a backtracking pattern such as `^(a+)+$` cannot stall the server. Airtable
 * documents RE2 syntax for its REGEX functions, which has no backreferences or lookarounds
 * either; the linear engine refuses exactly those. The V8 flag only makes the `l` flag
 * available; it changes no other regular expression in the process.
 */
setFlagsFromString('--enable-experimental-regexp-engine');

const cache = new Map<string, RegExp | null>();
const CACHE_LIMIT = 256;

/** The compiled pattern, or null when it is not valid or needs backtracking. */
export function linearRegExp(source: string): RegExp | null {
  let re = cache.get(source);
  if (re !== undefined) return re;
  try {
    re = new RegExp(source, 'l');
  } catch {
    re = null;
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(source, re);
  return re;
}
