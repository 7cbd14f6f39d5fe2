import type { OptionProblem } from '../../core/stage.js';
import { COMPARISON_TYPES, type ComparisonType } from './comparisons.js';
import type { FieldSpec } from './weights.js';

/**
 * Which comparison each field gets, so that extra columns (an address, a date of birth, an
 * external id) take part without tuning: by default from the field's name, else as declared
 * (`{ field: type }`, the shape of a `field_comparisons` option).
 */

/** Name patterns and the type they imply, first match wins. */
const BY_NAME: [RegExp, ComparisonType][] = [
  [/(^|_)(name|first_name|last_name|given_name|surname|full_name)$/, 'name'],
  [/(^|_)e?mail$/, 'email'],
  [/(^|_)(phone|mobile|telephone|fax)(_|$)/, 'phone'],
  [/(^|_)(url|website|linkedin_url|homepage)$/, 'url'],
  [/(^|_)(address|location|street|address_\d+)$/, 'address'],
  [/(^|_)(date|dob|birth_date|date_of_birth|birthday)$|_date$/, 'date'],
  [/(^|_)(id|ssn|soc_sec_id|number|code)$/, 'exact'],
];

/** The comparison type a field gets from its name when none is declared (free text otherwise). */
export function defaultComparisonType(field: string): ComparisonType {
  return BY_NAME.find(([pattern]) => pattern.test(field))?.[1] ?? 'text';
}

/**
 * The model's fields: each of `fields` with its declared type, else its default. Declarations of
 * unknown types, or of fields not compared, come back as problems (`path` from `option`).
 */
export function fieldSpecsOf(
  fields: readonly string[],
  declared: Readonly<Record<string, unknown>> = {},
  option = 'field_comparisons',
): { specs: FieldSpec[]; problems: OptionProblem[] } {
  const problems: OptionProblem[] = [];
  for (const [field, type] of Object.entries(declared)) {
    if (!COMPARISON_TYPES.includes(type as ComparisonType))
      problems.push({ path: `${option}.${field}`, message: `must be one of ${COMPARISON_TYPES.join(', ')}, not ${JSON.stringify(type)}` });
    else if (!fields.includes(field))
      problems.push({ path: `${option}.${field}`, message: `is not a compared field; compare it by adding it to the fields (${fields.join(', ')})` });
  }
  const specs = fields.map((field): FieldSpec => {
    const type = declared[field];
    return { field, type: COMPARISON_TYPES.includes(type as ComparisonType) ? (type as ComparisonType) : defaultComparisonType(field) };
  });
  return { specs, problems };
}
