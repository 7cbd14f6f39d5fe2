import type { Canonical } from './result.js';
import { show } from './result.js';

/** The LinkedIn rule's settings (`field_standardization.linkedin_url`). */
export interface LinkedinRules {
  enabled: boolean;
}

export const LINKEDIN_DEFAULTS: LinkedinRules = { enabled: true };

const PREFIX = 'https://www.linkedin.com/in/';
// Trailing language segment of a profile URL: /in/slug/fr, /in/slug/en-us.
const LANGUAGE = /^[a-z]{2}(?:[-_][a-z]{2})?$/i;
// Pages of a profile below its URL (/in/slug/details/experience/, /recent-activity/all/,
// /overlay/contact-info/): the same person, so the same profile URL.
const SUB_PAGES = new Set(['details', 'detail', 'recent-activity', 'overlay', 'edit', 'treasury']);

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The slug of a LinkedIn profile URL (`https://ca.linkedin.com/in/Jean-Tremblay/` → `jean-tremblay`),
 * or undefined when the value is not a profile URL. Legacy `/pub/name/a/b/c` URLs give the slug
 * LinkedIn redirects them to (`name-` + c, b, a zero-padded to 3 characters, concatenated).
 */
export function linkedinSlug(url: string): string | undefined {
  const parts = profileParts(url);
  return parts && 'slug' in parts ? parts.slug : undefined;
}

type Parts = { slug: string; steps: string[] } | { problem: 'not_linkedin_url' | 'not_linkedin_profile' };

// The common shapes, read without a URL parser: scheme, www or country host, /in/<plain slug>.
const SIMPLE = /^(https?:\/\/)?((?:www|[a-z]{2})\.)?linkedin\.com\/in\/([A-Za-z0-9_-]+)(\/[a-z]{2}(?:[-_][a-z]{2})?)?\/?([?#][^\s]*)?$/;

function profileParts(input: string): Parts | undefined {
  const simple = SIMPLE.exec(input);
  if (simple) {
    const [, scheme, host, slug, language, query] = simple;
    const steps: string[] = [];
    if (query) steps.push('query');
    if (scheme !== 'https://' || host !== 'www.') steps.push('host');
    if (language) steps.push('language');
    const lower = slug.toLowerCase();
    if (lower !== slug) steps.push('lowercase');
    return { slug: lower, steps };
  }
  const text = input.replace(/[\u200B-\u200D\u2060\uFEFF]/g, '').trim();
  if (text === '' || /\s/.test(text)) return { problem: 'not_linkedin_url' };
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text.replace(/^\/\//, '')}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { problem: 'not_linkedin_url' };
  }
  const host = url.hostname;
  if (!(url.protocol === 'https:' || url.protocol === 'http:') || !(host === 'linkedin.com' || host.endsWith('.linkedin.com'))) {
    return { problem: 'not_linkedin_url' };
  }
  const segments = url.pathname.split('/').filter(Boolean).map(decode);
  const steps: string[] = [];
  if (url.search || url.hash) steps.push('query');
  if (host !== 'www.linkedin.com') steps.push('host');
  let slug: string | undefined;
  if (segments[0]?.toLowerCase() === 'in' && segments[1]) {
    slug = segments[1];
    const rest = segments.slice(2);
    if (rest.length === 1 && LANGUAGE.test(rest[0])) steps.push('language');
    else if (rest.length && SUB_PAGES.has(rest[0].toLowerCase())) steps.push('sub_page');
    else if (rest.length) return { problem: 'not_linkedin_profile' };
  } else if (segments[0]?.toLowerCase() === 'pub' && segments.length === 5 && segments.slice(2).every((s) => /^[0-9a-z]{1,3}$/i.test(s))) {
    const [, name, a, b, c] = segments;
    slug = `${name}-${c.padStart(3, '0')}${b.padStart(3, '0')}${a}`;
    steps.push('legacy_pub');
  } else {
    return { problem: 'not_linkedin_profile' };
  }
  const lower = slug.toLowerCase();
  if (lower !== slug) steps.push('lowercase');
  if (/[\s/?#]/.test(lower)) return { problem: 'not_linkedin_profile' };
  return { slug: lower, steps };
}

// What `canonicalLinkedinUrl` writes: the profile prefix and a slug that the common-shape
// pattern reads back unchanged (lower case, no language tail, no query).
const CANONICAL = /^https:\/\/www\.linkedin\.com\/in\/[a-z0-9_-]+$/;

/** True when `canonicalLinkedinUrl` would return the value unchanged, with no problem. */
export function isCanonicalLinkedinUrl(input: string): boolean {
  return CANONICAL.test(input);
}

/**
 * The canonical LinkedIn profile URL, `https://www.linkedin.com/in/<slug>`: country and bare
 * hosts unified, scheme added, query, fragment, trailing slash, trailing language segment and
 * profile sub-page (`/details/experience/`, `/recent-activity/`, `/overlay/…`) dropped, percent-encoding decoded, slug lowercased, legacy `/pub/` URLs converted. Anything
 * else (company pages, Sales Navigator, other sites) gets no `value` and a problem.
 */
export function canonicalLinkedinUrl(input: string): Canonical {
  const parts = profileParts(input);
  if (!parts || 'problem' in parts) {
    const code = parts?.problem ?? 'not_linkedin_url';
    const what = code === 'not_linkedin_profile' ? 'a LinkedIn page that is not a personal profile (/in/<name>)' : 'not a LinkedIn URL';
    return { steps: [], problems: [{ code, message: `${show(input)} is ${what}; it was kept as it is. Replace it with the person's profile URL.` }] };
  }
  const value = PREFIX + parts.slug;
  const steps = value === input ? [] : parts.steps.length ? parts.steps : [/\/\s*$/.test(input) ? 'trailing_slash' : 'format'];
  return { value, steps, problems: [] };
}
