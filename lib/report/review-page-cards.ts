import { escapeHtml } from './svg.js';

/**
 * The cards of the review page, one per review line: a duplicate group's records side by side,
 * or a conflict's two values. Every value from a lead is escaped, and shown in an isolate with
 * its invisible direction and formatting characters made visible, so a value cannot turn the
 * text around it or pass for another. The controls carry what the export needs (the records'
 * ids, the versions the review saw, member indexes), never the values themselves.
 */

type Entry = Record<string, unknown>;

/** Characters that change how the text around them reads while showing nothing themselves. */
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

function isEmpty(value: unknown): boolean {
  return value === null || value === undefined || (typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && !value.length);
}

/** A lead's value for display: escaped, invisible characters shown as their code point. */
export function valueHtml(value: unknown): string {
  if (isEmpty(value)) return '<span class="empty">empty</span>';
  const text = escapeHtml(value).replace(
    INVISIBLE,
    (c) => `<span class="ctl" title="invisible character">U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}</span>`,
  );
  return `<bdi class="v">${text}</bdi>`;
}

/** An attribute holding JSON, escaped for a double-quoted attribute. */
const jsonAttr = (value: unknown): string => escapeHtml(JSON.stringify(value));

const kbd = (key: string): string => `<kbd>${key}</kbd>`;

/** A modification time to the minute (`2025-04-28 20:39 UTC`), the exact one on hover. */
function when(value: unknown): string {
  if (typeof value !== 'string' || !value) return 'modified: not recorded';
  const time = Date.parse(value);
  const shown = Number.isNaN(time) ? value : `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `modified <time datetime="${escapeHtml(value)}" title="${escapeHtml(value)}">${escapeHtml(shown)}</time>`;
}

function cardHead(n: number, title: string): string {
  return `<header><h2><span class="n">${n}</span> ${title}</h2><span class="state" aria-live="polite">undecided</span></header>`;
}

/** Versions the review line recorded for its records (empty when it has none). */
function versionsOf(entry: Entry): Record<string, string> {
  const versions = entry.versions;
  if (!versions || typeof versions !== 'object' || Array.isArray(versions)) return {};
  return Object.fromEntries(Object.entries(versions).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
}

function sameValue(a: unknown, b: unknown): boolean {
  return (isEmpty(a) && isEmpty(b)) || JSON.stringify(a) === JSON.stringify(b);
}

interface Member {
  ref: string;
  system: string;
  modified: unknown;
  fields: Entry;
}

function membersOf(entry: Entry): Member[] {
  const records = Array.isArray(entry.records) ? (entry.records as Entry[]) : [];
  return records
    .filter((r) => r && typeof r === 'object')
    .map(({ _meta, ...fields }) => {
      const meta = (_meta && typeof _meta === 'object' ? _meta : {}) as Entry;
      const system = String(meta.source ?? 'unknown');
      return { ref: `${system}:${String(meta.id ?? '')}`, system, modified: meta.modified_at, fields };
    });
}

/** The fields of a group in first-seen order, split into those its members disagree on and those they share. */
function fieldsOf(members: Member[]): { differing: string[]; same: string[] } {
  const names = [...new Set(members.flatMap((m) => Object.keys(m.fields)))];
  const differing: string[] = [];
  const same: string[] = [];
  for (const name of names) {
    const values = members.map((m) => m.fields[name]);
    if (values.every((v) => sameValue(v, values[0]))) {
      if (!isEmpty(values[0])) same.push(name);
    } else differing.push(name);
  }
  return { differing, same };
}

function memberHeader(card: number, member: Member, i: number): string {
  const key = i < 9 ? ` ${kbd(String(i + 1))}` : '';
  return (
    `<th scope="col" class="member"><label class="keep"><input type="radio" name="a${card}" value="${i}" data-role="action"> Keep${key}</label>` +
    `<span class="sys ${member.system === 'airtable' ? 'at' : 'lo'}">${escapeHtml(member.system)}</span> <code>${escapeHtml(member.ref.slice(member.system.length + 1))}</code>` +
    `<span class="mod">${when(member.modified)}</span></th>`
  );
}

function differingRow(card: number, row: number, field: string, members: Member[]): string {
  const name = `f${card}-${row}`;
  const numeric =
    members.some((m) => typeof m.fields[field] === 'number') && members.every((m) => isEmpty(m.fields[field]) || typeof m.fields[field] === 'number');
  const cells = members.map((m, i) => {
    const value = m.fields[field];
    return `<td${isEmpty(value) ? ' data-empty=""' : ''}><label><input type="radio" name="${name}" value="${i}"> ${valueHtml(value)}</label></td>`;
  });
  return (
    `<tr class="differs" data-field="${escapeHtml(field)}"${numeric ? ' data-numeric=""' : ''}><th scope="row">${escapeHtml(field)}` +
    `<label class="other"><input type="radio" name="${name}" value="typed" aria-label="type a value for ${escapeHtml(field)}">` +
    `<input type="text" class="typed" placeholder="other value" aria-label="other value for ${escapeHtml(field)}"></label></th>${cells.join('')}</tr>`
  );
}

/** Match evidence: the key that linked the group, its score, and what every member shares. */
function evidenceHtml(entry: Entry, same: string[]): string {
  const score = typeof entry.confidence_score === 'number' ? entry.confidence_score : undefined;
  const field = String(entry.matching_field ?? 'unknown');
  const value = isEmpty(entry.matching_value) ? '' : ` ${valueHtml(entry.matching_value)}`;
  const scored = score === undefined ? '' : `, score ${score}`;
  const how =
    field === 'fuzzy' ? `Matched by similarity of their fields${scored}.` : `Matched on the same <strong>${escapeHtml(field)}</strong>${value}${scored}.`;
  return `<p class="evidence">${how}` + ` Same in every record: ${same.length ? same.map((f) => `<code>${escapeHtml(f)}</code>`).join(' ') : 'no field'}.</p>`;
}

/** The card of one duplicate group: keep a survivor and pick each differing value, or say they are not duplicates. */
export function groupCard(card: number, entry: Entry): string {
  const members = membersOf(entry);
  const { differing, same } = fieldsOf(members);
  const refs = members.map((m) => m.ref);
  const rows = differing.map((f, row) => differingRow(card, row, f, members));
  const sameRows = same.map(
    (f) => `<tr class="same"><th scope="row">${escapeHtml(f)}</th><td colspan="${members.length}">${valueHtml(members[0]!.fields[f])}</td></tr>`,
  );
  return (
    `<article class="card group" id="card-${card}" tabindex="-1" data-kind="duplicates" data-records="${jsonAttr(refs)}" data-seen="${jsonAttr(versionsOf(entry))}">` +
    cardHead(card, `Duplicate group: ${members.length} records`) +
    evidenceHtml(entry, same) +
    `<div class="table"><table><thead><tr><th scope="col" class="field">field</th>${members.map((m, i) => memberHeader(card, m, i)).join('')}</tr></thead>` +
    `<tbody>${rows.join('')}${sameRows.join('')}</tbody></table></div>` +
    `<p class="actions"><label><input type="radio" name="a${card}" value="not" data-role="action"> Not duplicates ${kbd('x')}</label>` +
    `<span class="hint">${differing.length} field(s) differ: pick a value per field, or type one.</span></p></article>\n`
  );
}

/** `local:<id>|airtable:<id>` as the two ids. */
function conflictIds(entry: Entry): { local: string; airtable: string } {
  const parts = String(entry.record_id ?? '').split('|');
  const id = (system: string): string => parts.find((p) => p.startsWith(`${system}:`))?.slice(system.length + 1) ?? '';
  return { local: id('local'), airtable: id('airtable') };
}

/** The card of one conflict: local, Airtable or a typed value for its field. */
export function conflictCard(card: number, entry: Entry): string {
  const { local, airtable } = conflictIds(entry);
  const field = String(entry.field_name ?? '');
  const numeric = [entry.local_value, entry.airtable_value].some((v) => typeof v === 'number');
  const side = (value: string, label: string, id: string, modified: unknown, shown: unknown, key: string): string =>
    `<td><label class="keep"><input type="radio" name="a${card}" value="${value}" data-role="action"> ${label} ${kbd(key)}</label>` +
    `<code class="id">${escapeHtml(id)}</code><span class="mod">${when(modified)}</span><div class="pick">${valueHtml(shown)}</div></td>`;
  const suggested = entry.suggested_resolution === 'keep_local' ? 'local' : 'Airtable';
  return (
    `<article class="card conflict" id="card-${card}" tabindex="-1" data-kind="conflict" data-local="${escapeHtml(local)}" data-airtable="${escapeHtml(airtable)}"` +
    ` data-field="${escapeHtml(field)}"${numeric ? ' data-numeric=""' : ''} data-seen="${jsonAttr(versionsOf(entry))}">` +
    cardHead(card, `Conflict on <code>${escapeHtml(field)}</code>`) +
    `<p class="evidence">${escapeHtml(String(entry.conflict_type ?? 'value_mismatch').replace(/_/g, ' '))}; the most recent value is ${suggested}'s.</p>` +
    `<div class="table"><table class="sides"><tbody><tr>` +
    side('local', 'Local', local, entry.last_modified_local, entry.local_value, '1') +
    side('airtable', 'Airtable', airtable, entry.last_modified_airtable, entry.airtable_value, '2') +
    `<td><label class="keep"><input type="radio" name="a${card}" value="value" data-role="action"> Other ${kbd('t')}</label>` +
    `<input type="text" class="typed" placeholder="type a value" aria-label="other value for ${escapeHtml(field)}"></td>` +
    `</tr></tbody></table></div></article>\n`
  );
}
