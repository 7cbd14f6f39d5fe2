import { parse } from 'tldts';
import type { Canonical, Problem } from './result.js';
import { show } from './result.js';

/** The website rule's settings (`field_standardization.website_url`). */
export interface WebsiteRules {
  enabled: boolean;
  /** Add `preferred_protocol://` when the value has no scheme (`www.acme.com`). */
  ensure_protocol: boolean;
  preferred_protocol: 'https' | 'http';
  /** Also rewrite an existing http/https scheme to `preferred_protocol`. */
  enforce_protocol: boolean;
  remove_trailing_slash: boolean;
  remove_www: boolean;
  remove_fragment: boolean;
  /** Query parameters to drop; `utm_*` matches every parameter starting with `utm_`. */
  tracking_parameters: string[];
  /** Domains that are never a company's own website; `google.*` matches every suffix. */
  blocked_domains: string[];
}

export const WEBSITE_DEFAULTS: WebsiteRules = {
  enabled: true,
  ensure_protocol: true,
  preferred_protocol: 'https',
  enforce_protocol: true,
  remove_trailing_slash: true,
  remove_www: false,
  remove_fragment: true,
  tracking_parameters: ['utm_*', 'gclid', 'fbclid', 'msclkid', 'mc_cid', 'mc_eid', '_ga', '_gl', 'yclid', 'igshid', '_hsenc', '_hsmi'],
  blocked_domains: [
    'linkedin.com',
    'facebook.com',
    'twitter.com',
    'x.com',
    'instagram.com',
    'youtube.com',
    'tiktok.com',
    'google.*',
    'bing.com',
    'yahoo.com',
    'duckduckgo.com',
    'wikipedia.org',
    'amazon.*',
    'zoominfo.com',
    'crunchbase.com',
    'glassdoor.com',
    'indeed.com',
    'yelp.com',
    'example.com',
    'example.org',
    'gmail.com',
    'hotmail.com',
    'outlook.com',
  ],
};

// The public-suffix lookup of a hostname, not memoized: it is so quick that a memo costs more than it saves.
const parseDomain = (host: string) => parse(host);

/** The registrable domain of a URL or host (`https://www.shop.acme.co.uk/x` → `acme.co.uk`), via tldts. */
export function registrableDomain(urlOrHost: string): string | undefined {
  return parse(urlOrHost).domain ?? undefined;
}

function isTracking(name: string, patterns: string[]): boolean {
  const lower = name.toLowerCase();
  return patterns.some((p) => (p.endsWith('*') ? lower.startsWith(p.slice(0, -1).toLowerCase()) : lower === p.toLowerCase()));
}

/** A blocked-domain list as lookups: exact domains and `name.*` wildcards, each with its place in the list. */
interface BlockedLookup {
  domains: Map<string, number>;
  wildcards: Map<string, number>;
  /** The fewest dots of any exact domain: a host or parent domain with fewer is on none of them. */
  fewestDots: number;
  patterns: string[];
}

// Built once per list (a rule set lives as long as its run); the last one used is at hand.
const blockedByList = new WeakMap<string[], BlockedLookup>();
let lastBlocked: BlockedLookup | undefined;

const dotsIn = (text: string) => {
  let dots = 0;
  for (let i = text.indexOf('.'); i !== -1; i = text.indexOf('.', i + 1)) dots++;
  return dots;
};

function blockedLookup(patterns: string[]): BlockedLookup {
  if (lastBlocked?.patterns === patterns) return lastBlocked;
  let lookup = blockedByList.get(patterns);
  if (!lookup) {
    const built: BlockedLookup = { domains: new Map(), wildcards: new Map(), fewestDots: Infinity, patterns };
    patterns.forEach((pattern, i) => {
      const lower = pattern.toLowerCase();
      const [map, name] = lower.endsWith('.*') ? [built.wildcards, lower.slice(0, -2)] : [built.domains, lower];
      if (!map.has(name)) map.set(name, i);
    });
    for (const domain of built.domains.keys()) built.fewestDots = Math.min(built.fewestDots, dotsIn(domain));
    blockedByList.set(patterns, (lookup = built));
  }
  return (lastBlocked = lookup);
}

/** The first pattern of the list that the host is on (the host or a parent domain, or a `name.*` match). */
function isBlocked(host: string, parsed: ReturnType<typeof parse>, patterns: string[]): string | undefined {
  const lookup = blockedLookup(patterns);
  let first = parsed.domainWithoutSuffix === null ? undefined : lookup.wildcards.get(parsed.domainWithoutSuffix);
  // The host, then each parent domain, while it has as many dots as some blocked domain.
  let rest = host;
  for (let dots = dotsIn(host); dots >= lookup.fewestDots; dots--) {
    const at = lookup.domains.get(rest);
    if (at !== undefined && (first === undefined || at < first)) first = at;
    rest = rest.slice(rest.indexOf('.') + 1);
  }
  return first === undefined ? undefined : patterns[first];
}

// A query of `name=value` pairs in the characters form encoding writes as they are: its pairs
// are its parameters as written, and the parameters left after some are removed are written back
// the same way, so they can be filtered as text. Any other query goes through URLSearchParams,
// which decodes and re-encodes it.
const PLAIN_QUERY = /^\?[\w.*-]+=[\w.*-]*(?:&[\w.*-]+=[\w.*-]*)*$/;

/** Drops the URL's tracking parameters (every pair with their names); true when it had any. */
export function withoutTracking(url: URL, patterns: string[]): boolean {
  const query = url.search;
  if (PLAIN_QUERY.test(query)) {
    const pairs = query.slice(1).split('&');
    const kept = pairs.filter((pair) => !isTracking(pair.slice(0, pair.indexOf('=')), patterns));
    if (kept.length === pairs.length) return false;
    url.search = kept.length ? `?${kept.join('&')}` : '';
    return true;
  }
  const names = [...new Set(url.searchParams.keys())].filter((name) => isTracking(name, patterns));
  for (const name of names) url.searchParams.delete(name);
  return names.length > 0;
}

function invalid(input: string, why: string): Canonical {
  return {
    steps: [],
    problems: [
      { code: 'invalid_website', message: `${show(input)} is not a website address (${why}); it was kept as it is. Write it as https://company.com.` },
    ],
  };
}

/**
 * The canonical form of a company website: scheme added or rewritten to `preferred_protocol`,
 * host lowercased, fragment and tracking parameters dropped, trailing slash removed, `www.`
 * optionally removed. A social, search or placeholder domain keeps its value and is flagged
 * (`not_company_website`); a value that is not a web address gets no `value` (`invalid_website`).
 */
export function canonicalWebsite(input: string, rules: WebsiteRules = WEBSITE_DEFAULTS): Canonical {
  return bareHostWebsite(input, rules) ?? websiteThroughUrlParser(input, rules);
}

// A bare lowercase host, with or without `http(s)://` and a root slash: what most leads hold.
// The last label is letters and no label is punycode (`xn--`), so the URL parser would give the
// host back unchanged; anything else goes through the parser.
const BARE_HOST = /^(https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,63})(\/?)$/;

/**
 * `websiteThroughUrlParser`'s answer for a bare host without building a URL object (a spec checks
 * they agree), or undefined when the value is not a bare host with a known suffix.
 */
function bareHostWebsite(input: string, rules: WebsiteRules): Canonical | undefined {
  const m = BARE_HOST.exec(input);
  if (!m || (!m[1] && !rules.ensure_protocol) || input.includes('xn--')) return undefined;
  let host = m[2];
  const parsed = parseDomain(host);
  if (parsed.isIp || !parsed.domain || !parsed.isIcann) return undefined;
  const steps: string[] = [];
  const scheme = m[1] ? m[1].slice(0, -3) : undefined;
  let protocol = scheme ?? rules.preferred_protocol;
  if (!scheme || (rules.enforce_protocol && scheme !== rules.preferred_protocol)) {
    protocol = rules.preferred_protocol;
    steps.push('protocol');
  }
  if (rules.remove_www && host.startsWith('www.') && parsed.subdomain === 'www') {
    host = host.slice(4);
    steps.push('remove_www');
  }
  const slash = m[3] === '/';
  // The input itself when it is already the answer (an https host without a slash, most often).
  const value =
    steps.length === 0 && (!slash || !rules.remove_trailing_slash)
      ? input
      : rules.remove_trailing_slash || !slash
        ? `${protocol}://${host}`
        : `${protocol}://${host}/`;
  if (slash && !value.endsWith('/')) steps.push('trailing_slash');
  if (value !== input && steps.length === 0) steps.push('format');
  const problems: Problem[] = [];
  const blocked = isBlocked(host, host === parsed.hostname ? parsed : parseDomain(host), rules.blocked_domains);
  if (blocked) {
    problems.push({
      code: 'not_company_website',
      message: `${show(value)} is on ${blocked}, a social, search or placeholder site, not the company's own website.`,
    });
  }
  return { value, steps: value === input ? [] : steps, problems };
}

/** The canonical form of any website value, through the WHATWG URL parser. */
export function websiteThroughUrlParser(input: string, rules: WebsiteRules = WEBSITE_DEFAULTS): Canonical {
  const steps: string[] = [];
  const problems: Problem[] = [];
  const trimmed = input.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').trim();
  if (trimmed !== input) steps.push('trim');
  if (/\s/.test(trimmed)) return invalid(input, 'it contains spaces');
  if (/^[^/:]*@/.test(trimmed)) return invalid(input, 'it looks like an email address');
  let text = trimmed;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (!scheme) {
    if (!rules.ensure_protocol) return { value: trimmed, steps, problems };
    text = `${rules.preferred_protocol}://${text.replace(/^\/\//, '')}`;
    steps.push('protocol');
  } else if (scheme !== 'http' && scheme !== 'https') {
    return invalid(input, `the scheme ${scheme}: is not http or https`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid(input, 'it cannot be read as a URL');
  }
  const parsed = parseDomain(url.hostname);
  if (!parsed.isIp && (!parsed.domain || !parsed.isIcann)) return invalid(input, `${url.hostname} has no known domain suffix`);
  if (scheme && rules.enforce_protocol && url.protocol !== `${rules.preferred_protocol}:`) {
    url.protocol = rules.preferred_protocol;
    steps.push('protocol');
  }
  if (rules.remove_www && url.hostname.startsWith('www.') && parsed.subdomain === 'www') {
    url.hostname = url.hostname.slice(4);
    steps.push('remove_www');
  }
  if (rules.remove_fragment && url.hash) {
    url.hash = '';
    steps.push('fragment');
  }
  if (url.search && withoutTracking(url, rules.tracking_parameters)) steps.push('tracking_parameters');
  // The slash ends the path, before any query or fragment, so the rule does not depend on them
  // (`acme.com/about/?id=3` and `acme.com/about/` lose it alike). The URL parser adds a root slash
  // the input may not have had; that one always goes.
  // An empty query or fragment (`acme.com/x?`) is nothing: its `?` or `#` goes too.
  if (!url.hash && url.href.endsWith('#')) url.hash = '';
  if (!url.search && url.href.endsWith('?')) url.search = '';
  const tail = url.search + url.hash;
  const path = url.href.slice(0, url.href.length - tail.length);
  const queryAt = trimmed.search(/[?#]/);
  const inputPath = queryAt === -1 ? trimmed : trimmed.slice(0, queryAt);
  const slashGoes = rules.remove_trailing_slash || (url.pathname === '/' && !inputPath.endsWith('/'));
  const value = slashGoes && path.endsWith('/') ? path.replace(/\/+$/, '') + tail : url.href;
  if (inputPath.endsWith('/') && !value.slice(0, value.length - tail.length).endsWith('/')) steps.push('trailing_slash');
  if (value !== trimmed && steps.length === 0) steps.push('format');
  const blocked = isBlocked(url.hostname, url.hostname === parsed.hostname ? parsed : parseDomain(url.hostname), rules.blocked_domains);
  if (blocked) {
    problems.push({
      code: 'not_company_website',
      message: `${show(value)} is on ${blocked}, a social, search or placeholder site, not the company's own website.`,
    });
  }
  return { value, steps: value === input ? [] : steps, problems };
}
