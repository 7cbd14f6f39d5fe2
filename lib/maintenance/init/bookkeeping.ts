import type { SourceColumn } from './inspect.js';
import { fieldByName, isCreatedName, isIdName, isModifiedName } from './names.js';
import { columnShape, isPresent } from './shapes.js';

/** A proposed id, modified or created column, and why. */
export interface Chosen {
  name: string;
  why: string;
}

export interface Bookkeeping {
  id?: Chosen;
  modified?: Chosen;
  created?: Chosen;
}

/**
 * Date columns named for something else than a row's own life (`Last Contacted`, `Date
 * Messaged`): the tool sets the modified column on every write, so it must never be one of them.
 */
const OTHER_EVENTS = /contact|messag|sent|send|birth|due|scrap|enrich|qualif|verif|reply|repli|call|meet|follow|next|start|end|expir|close/;

/**
 * The local table's id, last-modified and creation-time columns. The id is the primary key, else
 * a column named as an id whose sampled values are all there and all different. The times go by
 * name (`updated_at`, `Last Modified`, `Last Touched`; `created_at`, `Date Added`); when no name
 * says so, the table's only date column (or, of two, the one never earlier than the other)
 * is proposed, marked for checking.
 */
export function chooseBookkeeping(columns: readonly SourceColumn[]): Bookkeeping {
  const result: Bookkeeping = {};
  const keys = columns.filter((c) => c.pk);
  if (keys.length === 1) result.id = { name: keys[0]!.name, why: "the table's primary key" };
  else {
    const named = columns.find(
      (c) => isIdName(c.name) && c.values.length > 0 && c.values.every(isPresent) && new Set(c.values.map(String)).size === c.values.length,
    );
    if (named) result.id = { name: named.name, why: 'named as an id, with a different value in every sampled row' };
  }
  const free = columns.filter((c) => c.name !== result.id?.name);
  const modified = free.find((c) => isModifiedName(c.name));
  const created = free.find((c) => isCreatedName(c.name) && c !== modified);
  if (modified) result.modified = { name: modified.name, why: 'by its name' };
  if (created) result.created = { name: created.name, why: 'by its name' };
  if (modified && created) return result;

  const dates = free.filter(
    (c) => c !== modified && c !== created && !fieldByName(c.name) && columnShape(c.values) === 'date' && !OTHER_EVENTS.test(c.name.toLowerCase()),
  );
  const check = 'by its values (dates); check it, or set null';
  if (dates.length === 1 && !modified) result.modified = { name: dates[0]!.name, why: `the only date column, ${check}` };
  else if (dates.length === 2 && !modified && !created) {
    const [a, b] = dates as [SourceColumn, SourceColumn];
    const later = neverEarlier(a, b) ? [a, b] : neverEarlier(b, a) ? [b, a] : undefined;
    if (later) {
      result.modified = { name: later[0].name, why: `never earlier than '${later[1].name}', ${check}` };
      result.created = { name: later[1].name, why: `never later than '${later[0].name}', ${check}` };
    }
  }
  return result;
}

/** Whether `a` is at or after `b` in every sampled row holding both (and in at least one). */
function neverEarlier(a: SourceColumn, b: SourceColumn): boolean {
  let compared = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = Date.parse(String(a.values[i]));
    const y = Date.parse(String(b.values[i]));
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    if (x < y) return false;
    compared++;
  }
  return compared > 0;
}
