/**
 * What a column's values look like, for columns whose name says nothing (`col7`, `Field 3`): a
 * sample of values is taken for an email column when most of them are emails, and so on.
 */

export type Shape = 'email' | 'linkedin_url' | 'url' | 'phone' | 'date' | 'number' | 'airtable_id' | 'text';

/** The share of non-empty values that must have one shape for the column to have it. */
const MAJORITY = 0.8;

const EMAIL = /^[^\s@<>(),;:]+@[^\s@<>(),;:]+\.[a-z]{2,}$/i;
const LINKEDIN = /^(https?:\/\/)?([a-z]{2,3}\.)?linkedin\.com\/\S*$/i;
const URL_LIKE = /^(https?:\/\/)?([a-z0-9-]+\.)+[a-z]{2,}(:\d+)?([/?#]\S*)?$/i;
const PHONE_CHARS = /^\+?[\d\s().\-/]+((x|ext\.?)\s*\d{1,6})?$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/i;
const SLASH_DATE = /^\d{1,2}[/.]\d{1,2}[/.](\d{2}|\d{4})( \d{1,2}:\d{2}(:\d{2})?)?$/;
const NUMBER = /^[-+]?\d+([.,]\d+)?$/;
const RECORD_ID = /^rec[A-Za-z0-9]{14}$/;

/** The shape of one value (numbers stored as numbers or as text alike). */
export function shapeOf(value: unknown): Shape {
  if (typeof value === 'number' || typeof value === 'bigint') return 'number';
  const text = String(value).trim();
  if (EMAIL.test(text)) return 'email';
  if (LINKEDIN.test(text)) return 'linkedin_url';
  if (ISO_DATE.test(text) || SLASH_DATE.test(text)) return 'date';
  if (isPhone(text)) return 'phone';
  if (NUMBER.test(text)) return 'number';
  if (RECORD_ID.test(text)) return 'airtable_id';
  if (URL_LIKE.test(text)) return 'url';
  return 'text';
}

/**
 * 7 to 15 digits written as phone numbers are (`+1 514 555 0101`, `(514) 555-0101`); a bare run
 * of digits counts only from 10 digits, so scores, counts and short ids are not phones.
 */
function isPhone(text: string): boolean {
  if (!PHONE_CHARS.test(text)) return false;
  const digits = text.replace(/(x|ext\.?)\s*\d+$/i, '').replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  return /[\s().\-/+]/.test(text) || digits >= 10;
}

/** Whether a value counts as a value (NULL, empty and blank text do not). */
export function isPresent(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'string') return value.trim() !== '';
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/**
 * The shape most values share, when at least 80% of the non-empty ones share it; `undefined` for
 * a column without values. A website column may hold some LinkedIn pages: URLs of both kinds are
 * URLs, but the column is LinkedIn's only when most are LinkedIn's.
 */
export function columnShape(values: readonly unknown[]): Shape | undefined {
  const present = values.filter(isPresent).filter((v) => typeof v !== 'object');
  if (present.length === 0) return undefined;
  const counts = new Map<Shape, number>();
  for (const value of present) {
    const shape = shapeOf(value);
    counts.set(shape, (counts.get(shape) ?? 0) + 1);
  }
  const urls = (counts.get('url') ?? 0) + (counts.get('linkedin_url') ?? 0);
  for (const [shape, n] of counts) {
    if (n / present.length >= MAJORITY) return shape;
  }
  if (urls / present.length >= MAJORITY) return 'url';
  return 'text';
}

/** How a shape reads in a comment. */
export function describeShape(shape: Shape | undefined): string {
  switch (shape) {
    case undefined:
      return 'no values in the sample';
    case 'email':
      return 'holds emails';
    case 'linkedin_url':
      return 'holds LinkedIn URLs';
    case 'url':
      return 'holds URLs';
    case 'phone':
      return 'holds phone numbers';
    case 'date':
      return 'holds dates';
    case 'number':
      return 'holds numbers';
    case 'airtable_id':
      return 'holds Airtable record ids';
    case 'text':
      return 'holds text';
  }
}
