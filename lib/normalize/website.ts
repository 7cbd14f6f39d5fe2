import { parse as parseDomain } from 'tldts';
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
    'linkedin.com', 'facebook.com', 'twitter.com', 'x.com', 'instagram.com', 'youtube.com', 'tiktok.com',
    'google.*', 'bing.com', 'yahoo.com', 'duckduckgo.com', 'wikipedia.org', 'amazon.*', 'zoominfo.com',
    'crunchbase.com', 'glassdoor.com', 'indeed.com', 'yelp.com', 'example.com', 'example.org', 'gmail.com',
    'hotmail.com', 'outlook.com',
  ],
};

/** The registrable domain of a URL or host (`https://www.shop.acme.co.uk/x` → `acme.co.uk`), via tldts. */
export function registrableDomain(urlOrHost: string): string | undefined {
  return parseDomain(urlOrHost).domain ?? undefined;
}

function isTracking(name: string, patterns: string[]): boolean {
  const lower = name.toLowerCase();
  return patterns.some((p) => (p.endsWith('*') ? lower.startsWith(p.slice(0, -1).toLowerCase()) : lower === p.toLowerCase()));
}

function isBlocked(host: string, patterns: string[]): string | undefined {
  const parsed = parseDomain(host);
  return patterns.find((p) => {
    const pattern = p.toLowerCase();
    if (pattern.endsWith('.*')) return parsed.domainWithoutSuffix === pattern.slice(0, -2);
    return host === pattern || host.endsWith(`.${pattern}`);
  });
}

function invalid(input: string, why: string): Canonical {
  return { steps: [], problems: [{ code: 'invalid_website', message: `${show(input)} is not a website address (${why}); it was kept as it is. Write it as https://company.com.` }] };
}

/**
 * The canonical form of a company website: scheme added or rewritten to `preferred_protocol`,
 * host lowercased, fragment and tracking parameters dropped, trailing slash removed, `www.`
 * optionally removed. A social, search or placeholder domain keeps its value and is flagged
 * (`not_company_website`); a value that is not a web address gets no `value` (`invalid_website`).
 */
export function canonicalWebsite(input: string, rules: WebsiteRules = WEBSITE_DEFAULTS): Canonical {
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
  const names = [...new Set(url.searchParams.keys())].filter((name) => isTracking(name, rules.tracking_parameters));
  if (names.length) {
    for (const name of names) url.searchParams.delete(name);
    steps.push('tracking_parameters');
  }
  let value = url.href;
  if (!url.search && !url.hash && value.endsWith('/') && rules.remove_trailing_slash) value = value.replace(/\/+$/, '');
  else if (!url.search && !url.hash && !value.endsWith('/') && url.pathname === '/') value = value.replace(/\/$/, '');
  if (/\/$/.test(trimmed) && !value.endsWith('/')) steps.push('trailing_slash');
  if (value !== trimmed && steps.length === 0) steps.push('format');
  const blocked = isBlocked(url.hostname, rules.blocked_domains);
  if (blocked) {
    problems.push({ code: 'not_company_website', message: `${show(value)} is on ${blocked}, a social, search or placeholder site, not the company's own website.` });
  }
  return { value, steps: value === input ? [] : steps, problems };
}
