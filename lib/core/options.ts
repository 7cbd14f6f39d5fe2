import levenshtein from 'fast-levenshtein';
import { ON_ERROR_POLICIES, type OptionSpec, type OptionSpecs } from './stage.js';

/** `did you mean "x"?` for the closest known name, when one is close enough to be a typo. */
export function didYouMean(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = levenshtein.get(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestDistance <= limit ? ` (did you mean "${best}"?)` : '';
}

/** Checks one option value against its declaration; returns a message, or undefined when fine. */
export function checkOptionValue(spec: OptionSpec, value: unknown): string | undefined {
  if (value === undefined || value === null) return spec.required ? 'is required' : undefined;
  switch (spec.type) {
    case 'string':
    case 'path':
      if (typeof value !== 'string') return `must be a string, not ${typeName(value)}`;
      break;
    case 'boolean':
      if (typeof value !== 'boolean') return `must be true or false, not ${typeName(value)}`;
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return `must be a whole number, not ${typeName(value)}`;
      break;
    case 'number':
      if (typeof value !== 'number' || Number.isNaN(value)) return `must be a number, not ${typeName(value)}`;
      break;
    case 'string[]':
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) return `must be a list of strings, not ${typeName(value)}`;
      break;
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return `must be a mapping, not ${typeName(value)}`;
      break;
  }
  if (spec.values && typeof value === 'string' && !spec.values.includes(value)) {
    return `must be one of ${spec.values.join(', ')}, not "${value}"${didYouMean(value, spec.values)}`;
  }
  if (spec.values && Array.isArray(value)) {
    const bad = value.find((v) => !spec.values!.includes(v));
    if (bad !== undefined) return `has "${bad}", which is not one of ${spec.values.join(', ')}${didYouMean(String(bad), spec.values)}`;
  }
  if (typeof value === 'number') {
    if (spec.min !== undefined && value < spec.min) return `must be at least ${spec.min}, not ${value}`;
    if (spec.max !== undefined && value > spec.max) return `must be at most ${spec.max}, not ${value}`;
  }
  return undefined;
}

/**
 * Converts a command-line string to the option's type (`run-stage --batch_size 10`): numbers,
 * booleans (`true`/`false`, or the flag alone), comma-separated lists, JSON for mappings.
 */
export function coerceOptionString(spec: OptionSpec, text: string | boolean): unknown {
  if (typeof text === 'boolean') return text;
  switch (spec.type) {
    case 'integer':
    case 'number':
      return text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'string[]':
      return text.startsWith('[')
        ? safeJson(text)
        : text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
    case 'object':
      return safeJson(text);
    default:
      return text;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return `${typeof value} ${String(value)}`;
}

/** The options every stage accepts, handled by the adapter rather than the stage. */
export const COMMON_OPTIONS = {
  on_error: {
    type: 'string',
    values: ON_ERROR_POLICIES,
    default: 'skip',
    description:
      'What to do with a record this stage cannot process: `fail` stops the run, `skip` sets it aside in the rejects file, `tag` passes it on with the problem in `_meta.problems` (it goes to the rejects file in every case).',
    example: 'fail',
  },
} satisfies OptionSpecs<{ on_error: string }>;
