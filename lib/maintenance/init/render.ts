import type { Proposal } from './propose.js';

/** What the header says about where the proposal came from. */
export interface RenderContext {
  /** `db-maintenance --full-maintenance --dry-run` and the live run, as the user should type them. */
  commands: { dryRun: string; live: string };
  now: Date;
}

/** A YAML scalar: JSON's double-quoted strings are valid YAML and need no further escaping. */
const q = (text: string): string => JSON.stringify(text);

/** A canonical field name, bare when YAML reads it back as the same string (`email`, `lead_score`). */
const f = (name: string): string => (/^[a-z_][a-z0-9_]*$/.test(name) && !/^(y|n|yes|no|on|off|true|false|null)$/.test(name) ? name : q(name));

/** `key: value` padded so the comments of a block line up. */
function lines(pairs: Array<[key: string, value: string, comment?: string]>, indent: string): string[] {
  const width = Math.max(0, ...pairs.map(([k, v]) => k.length + v.length + 2));
  return pairs.map(([k, v, c]) => `${indent}${`${k}: ${v}`.padEnd(c ? width : 0)}${c ? `  # ${c}` : ''}`.trimEnd());
}

function commentList(title: string, items: Array<{ source: string; why: string }>, indent: string): string[] {
  if (!items.length) return [];
  return [`${indent}# ${title}`, ...items.map((i) => `${indent}#   ${q(i.source)}: ${i.why}`)];
}

/**
 * The configuration file `--init` writes: the proposal, with comments that say where each line
 * came from and what to check, since it is what the user reads next.
 */
export function renderProposal(p: Proposal, ctx: RenderContext): string {
  const out: string[] = [...header(p, ctx), ...maintenanceConfig(p), ...fieldMapping(p), ...localTable(p)];
  return `${out.join('\n')}\n`;
}

/** Where the proposal came from, and what to do with it next. */
function header(p: Proposal, ctx: RenderContext): string[] {
  const { local, airtable } = p;
  const width = Math.max(ctx.commands.dryRun.length, ctx.commands.live.length);
  return [
    `# Lead maintenance configuration, proposed by \`db-maintenance --init\` on ${ctx.now.toISOString().slice(0, 10)} from`,
    `#   the local database ${local.file}, table ${q(local.table)} (${local.columns.length} columns, ${local.rows} row(s); ${local.sampled} sampled)`,
    `#   the Airtable base ${airtable.baseId}, table ${q(airtable.table)} (${airtable.columns.length} fields; ${airtable.sampled} record(s) sampled)`,
    '#',
    '# Every mapping below is a proposal, made from the names of the columns and fields and, where a',
    '# name said nothing, from the values they hold. Read it, correct what is wrong, then:',
    `#   ${ctx.commands.dryRun.padEnd(width)}  plans everything and changes nothing`,
    `#   ${ctx.commands.live.padEnd(width)}  applies it (asks first; add --yes to run unattended)`,
    '# db-maintenance reads this file from the working directory (or the file --config names). What it',
    '# leaves out keeps the bundled defaults (config/maintenance.yaml, config/field-mapping.yaml).',
    '# The database and the base come from LEADS_DB, AIRTABLE_TOKEN and AIRTABLE_BASE_ID, never from here.',
    '',
  ];
}

/** `maintenance_config`: only what differs from the bundled defaults (the Airtable table, the engagement statuses the samples hold). */
function maintenanceConfig({ maintenance }: Proposal): string[] {
  const out: string[] = ['maintenance_config:', '  # Only what differs from the bundled defaults; any setting of config/maintenance.yaml can go here.'];
  const sections: string[] = [];
  if (maintenance.airtableTable) sections.push('  synchronization:', '    airtable:', `      table: ${q(maintenance.airtableTable)}`);
  const engagement = maintenance.engagement;
  if (engagement) {
    sections.push('  field_standardization:', '    engagement_status:', `      # ${engagement.why}`);
    if ('enabled' in engagement) sections.push('      enabled: false');
    else sections.push(`      valid_values: [${engagement.valid_values.map(q).join(', ')}]`, `      default_value: ${q(engagement.default_value)}`);
  }
  out.push(...(sections.length ? sections : ['  {}']));
  out.push(
    '  # Phone numbers without a +country code are read as Canadian ones: to change that, add',
    '  #   field_standardization: { phone: { default_country: "US" } }',
  );
  return out;
}

/** `field_mapping`'s pairs kept in step both ways, and, as comments, the fields that are not and why. */
function fieldMapping(p: Proposal): string[] {
  const out: string[] = [
    '',
    'field_mapping:',
    '  # Canonical lead field (the name the tool works with) → Airtable field. These fields are kept',
    '  # equal in both systems; a field only one system has stays where it is.',
  ];
  const synced = p.synced;
  out.push(synced.length ? '  database_to_airtable:' : '  database_to_airtable: {}');
  out.push(
    ...lines(
      synced.map((s) => [f(s.field), q(s.airtable), `local ${q(s.column)}`]),
      '    ',
    ),
  );
  out.push('  # The same pairs the other way: Airtable field → canonical field.');
  out.push(synced.length ? '  airtable_to_database:' : '  airtable_to_database: {}');
  out.push(
    ...lines(
      synced.map((s) => [q(s.airtable), f(s.field)]),
      '    ',
    ),
  );
  out.push(
    ...commentList(
      'Not kept in step yet (Airtable would refuse some values):',
      p.heldBack.map((h) => ({ source: h.airtable, why: `${h.field} (local ${q(h.column)}): ${h.why}` })),
      '  ',
    ),
  );
  out.push(
    ...commentList(
      'Lead fields only Airtable has (add a local column of that name to keep them in step):',
      p.airtableOnly.map((m) => ({ source: m.source, why: `${m.field}, ${m.why}` })),
      '  ',
    ),
  );
  out.push(
    ...commentList(
      'Lead fields only the local table has (add an Airtable field and map it here to keep them in step):',
      p.localOnly.map((m) => ({ source: m.source, why: `${m.field}, ${m.why}` })),
      '  ',
    ),
  );
  out.push(...commentList('Airtable fields left out (not read, not written):', p.fields.leftOut, '  '));
  return out;
}

/** `field_mapping.local`: the table, its bookkeeping columns and its columns' canonical fields. */
function localTable(p: Proposal): string[] {
  const { local, bookkeeping: book } = p;
  const out: string[] = [];
  out.push(
    '',
    '  # The local table. No link column is needed: the link between a local row and its Airtable',
    '  # record is kept in the run state.',
    '  local:',
    ...lines(
      [
        ['table', q(local.table)],
        book.id ? ['id_column', q(book.id.name), book.id.why] : ['id_column', '""', 'NOT FOUND: name the column that identifies a row (every value different)'],
        book.modified
          ? ['modified_column', q(book.modified.name), `${book.modified.why}; set on every write`]
          : ['modified_column', 'null', 'none found: name the last-modified column if there is one'],
        book.created
          ? ['created_column', q(book.created.name), `${book.created.why}; set on creates`]
          : ['created_column', 'null', 'none found: name the creation-time column if there is one'],
      ],
      '    ',
    ),
    '    # Local column → canonical field.',
    p.columns.mapped.length ? '    columns:' : '    columns: {}',
    ...lines(
      p.columns.mapped.map((m) => [q(m.source), f(m.field), m.why]),
      '      ',
    ),
  );
  const carried = [
    ...p.synced.filter((s) => s.sameName).map((s) => ({ source: s.column, why: `kept in step with Airtable ${q(s.airtable)} (the same name)` })),
    ...p.columns.leftOut,
  ];
  out.push(...commentList('Local columns carried through under their own names (map one above to make it a lead field):', carried, '    '));
  return out;
}
