import type { Canonical } from './result.js';
import { show } from './result.js';

/** The engagement-status rule's settings (`field_standardization.engagement_status`). */
export interface EngagementStatusRules {
  enabled: boolean;
  /** Written into an empty engagement status. Must be one of `valid_values`. */
  default_value: string;
  /** Exactly the Airtable single-select options: any other value is refused by Airtable. */
  valid_values: string[];
  /** Other names for valid values (`Skip` → `Skipped`); case, spaces, `-` and `_` are ignored. */
  aliases: Record<string, string>;
}

export const ENGAGEMENT_STATUS_DEFAULTS: EngagementStatusRules = {
  enabled: true,
  default_value: 'Auto-Send',
  valid_values: ['Auto-Send', 'Sent', 'Skipped', 'Needs Review', 'Error'],
  aliases: { Skip: 'Skipped', 'Manual Review': 'Needs Review', Review: 'Needs Review', Failed: 'Error' },
};

/** `auto_send`, `Auto-Send`, `AUTO SEND` → `autosend`: the spelling-free key of a status. */
export function statusKey(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** A lookup from status key to valid value, built once per configuration. */
export function statusLookup(rules: EngagementStatusRules): Map<string, string> {
  const lookup = new Map<string, string>();
  for (const [alias, target] of Object.entries(rules.aliases)) lookup.set(statusKey(alias), target);
  for (const value of rules.valid_values) lookup.set(statusKey(value), value);
  return lookup;
}

/**
 * The engagement status as one of the valid values (`auto_send` → `Auto-Send`). Empty values are
 * the caller's business (the default is applied by the stage). A value that matches no valid value
 * or alias gets no `value` and an `invalid_engagement_status` problem: it is kept, not overwritten.
 */
export function canonicalEngagementStatus(input: string, rules: EngagementStatusRules = ENGAGEMENT_STATUS_DEFAULTS, lookup = statusLookup(rules)): Canonical {
  const value = lookup.get(statusKey(input));
  if (value === undefined) {
    return {
      steps: [],
      problems: [
        {
          code: 'invalid_engagement_status',
          message: `Engagement status ${show(input)} is not one of ${rules.valid_values.join(', ')}; it was kept as it is. Pick one of those or add an alias in field_standardization.engagement_status.aliases.`,
        },
      ],
    };
  }
  return { value, steps: value === input ? [] : ['variant'], problems: [] };
}
