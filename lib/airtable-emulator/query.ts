/** A parsed query string: `a[]=1&a[]=2` and `sort[0][field]=x` become arrays and objects. */
export type QueryValue = string | QueryValue[] | { [key: string]: QueryValue };
export type Query = Record<string, QueryValue>;

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function assign(target: Record<string, QueryValue>, keys: string[], value: string): void {
  const [head, ...rest] = keys as [string, ...string[]];
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  if (rest[0] === '') {
    const existing = target[head];
    if (Array.isArray(existing)) existing.push(value);
    else target[head] = [value];
    return;
  }
  let child = target[head];
  if (typeof child !== 'object' || Array.isArray(child)) target[head] = child = {};
  assign(child as Record<string, QueryValue>, rest, value);
}

/**
 * Parses bracket syntax the way airtable.js writes it (jQuery.param style) and accepts `+` and
 * `%20` for spaces. A repeated key without brackets (`fields=a&fields=b`) becomes an array too,
 * to be lenient with other clients.
 */
export function parseQuery(search: string): Query {
  const out: Query = {};
  for (const part of search.replace(/^\?/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const m = /^([^[]+)((?:\[[^\]]*\])*)$/.exec(key);
    const keys = m ? [m[1]!, ...[...m[2]!.matchAll(/\[([^\]]*)\]/g)].map((x) => x[1]!)] : [key];
    if (keys.length === 1 && key in out) {
      const prev = out[key]!;
      out[key] = Array.isArray(prev) ? [...prev, value] : [prev, value];
    } else {
      assign(out, keys, value);
    }
  }
  return out;
}

/** Objects with numeric keys (`sort[0]`, `sort[1]`) as an array in key order. */
export function asList(v: unknown): unknown[] | undefined {
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v;
  if (typeof v === 'object' && v !== null) {
    return Object.keys(v)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => (v as Record<string, unknown>)[k]);
  }
  return [v];
}
