import { StageError } from '../lib/core/errors.js';
import { openInput, SerializedRecords } from '../lib/core/jsonl.js';
import { CanonicalRecords, canonicalLine } from '../lib/core/jsonl-canonical.js';
import { inputLabel, readError } from '../lib/core/jsonl-records.js';
import { own, setOwn } from '../lib/core/own.js';
import type { Lead, RecordMeta } from '../lib/core/record.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { EXPORT_OPTIONS, type ExportFields, type ExportOptions, exportFields, openExport, rejectItem } from '../lib/exports/fields.js';
import { type JsonElement, jsonElements, MalformedJson } from '../lib/exports/json-array.js';
import { plainSerializedOutput, serializedOutput } from '../lib/parallel/capabilities.js';

export interface ReadJsonOptions extends ExportOptions {
  path: string;
}

/**
 * Reads a file holding one JSON array: of records (an API dump, a tool's export), or of Airtable
 * API records (`{id, createdTime, fields}`, as airtable-export and the Web API give them), whose
 * fields become canonical through the field mapping and whose id stays the Airtable id in `_meta`,
 * as read-airtable reads them. The array is streamed one element at a time. An element that is not
 * a record goes to the rejects file with its index; a document that is not one whole array (cut
 * short, malformed) stops the run with its line and column, since a partial export read as the
 * whole would look like leads deleted.
 */
const readJson = defineStage<ReadJsonOptions>({
  name: 'read-json',
  kind: 'source',
  summary:
    'Reads leads from a file (or stdin) holding one JSON array of records or of Airtable API records ({id, createdTime, fields}), streamed at constant memory; elements that are not records go to the rejects file with their index.',
  options: {
    path: {
      type: 'path',
      default: '-',
      description: 'The file to read; `-` reads stdin.',
      example: 'exports/leads.json',
    },
    ...EXPORT_OPTIONS,
  },
  create(options, ctx) {
    const label = inputLabel(options.path);
    const reading: Reading = { label, fields: exportFields(options, ctx.baseDir), ctx };
    const asWritten = asWrittenElements(options, reading);
    return (async function* (): AsyncGenerator<Lead> {
      const input = openExport(options.path, ctx, label);
      try {
        const reread = options.path === '-' ? undefined : () => openInput(options.path, ctx.stdin);
        // A batch of elements at a time: one await per piece of input, not per element.
        for await (const elements of jsonElements(input, reread, asWritten?.records)) {
          if (asWritten) yield* asWritten.leads(elements) as Generator<Lead>;
          else
            for (const { key, value } of elements) {
              const lead = leadOf(value, key, reading);
              if (lead) yield lead;
            }
        }
      } catch (error) {
        if (error instanceof StageError) throw error;
        if (error instanceof MalformedJson) {
          const where = error.line === undefined ? label : `${label}:${error.line}:${error.col}`;
          throw new StageError(ctx.stage, `${where}: ${error.message}`, { cause: error });
        }
        throw readError(error, label, ctx);
      }
    })();
  },
});

export default readJson;

interface Reading {
  label: string;
  fields: ExportFields;
  ctx: StageContext;
}

/**
 * When the next step is the last and writes JSON Lines, an element already in the form that writer
 * would give its record (see lib/core/jsonl-canonical.ts) is passed on as its text: with the `_meta`
 * the record would get, `{"index":N}`, added at its end, or as it is for a writer that strips
 * `_meta`. Only for an export that names no system (whose records would get more `_meta`), and for
 * an element each of whose keys is its own field (none renamed by the field mapping or `columns`).
 * The elements around it are read as usual, in order. Returns undefined otherwise.
 */
function asWrittenElements(
  options: ReadJsonOptions,
  reading: Reading,
): { records: CanonicalRecords; leads(elements: JsonElement[]): Generator<Lead | SerializedRecords> } | undefined {
  const { fields, ctx } = reading;
  const withoutMeta = plainSerializedOutput(ctx);
  if (options.system !== undefined || (!withoutMeta && !serializedOutput(ctx))) return undefined;
  // A key written with an escape is left to the usual way: the field mapping names keys as parsed.
  const records = new CanonicalRecords((keyText) => !keyText.includes('\\') && fields.field(keyText) === keyText);
  return {
    records,
    *leads(elements) {
      let text = '';
      let count = 0;
      for (const element of elements) {
        if (element.text !== undefined) {
          text += canonicalLine(element.text, 'index', element.key, withoutMeta);
          count++;
          continue;
        }
        if (count) yield new SerializedRecords(text, count, withoutMeta);
        text = '';
        count = 0;
        const lead = leadOf(element.value, element.key, reading);
        if (lead) yield lead;
      }
      if (count) yield new SerializedRecords(text, count, withoutMeta);
    },
  };
}

/** The lead an element is, or its reject under the step's on_error. */
function leadOf(value: unknown, index: number, { label, fields, ctx }: Reading): Lead | undefined {
  if (!isObject(value)) {
    const found = Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`;
    const message = `${label}[${index}]: expected a JSON object (one lead per element), found ${found}; fix or remove the element`;
    return rejectItem(ctx, { reason: 'not_a_record', message, raw: JSON.stringify(value), file: label, index });
  }
  if (isAirtableRecord(value)) return airtableLead(value, index, fields);
  const _meta = own(value, '_meta');
  if (_meta !== undefined && !isObject(_meta)) {
    const message = `${label}[${index}]: \`_meta\` is not an object; \`_meta\` is the pipeline's own bookkeeping: remove it, or rename the field`;
    return rejectItem(ctx, { reason: 'invalid_meta', message, raw: JSON.stringify(value), file: label, index });
  }
  return fields.lead(fieldsOf(value, fields), { ...(_meta as RecordMeta | undefined), index });
}

/**
 * The element's values under their fields: the element itself when every name already is its
 * field and it has no `_meta` (the parser made it for this reader alone, so nothing else sees it
 * change), else a copy under the fields' names.
 */
function fieldsOf(value: Record<string, unknown>, fields: ExportFields): Record<string, unknown> {
  const keys = Object.keys(value);
  if (keys.every((key) => key !== '_meta' && fields.field(key) === key)) return value;
  const values: Record<string, unknown> = {};
  for (const key of keys) if (key !== '_meta') setOwn(values, fields.field(key), value[key]);
  return values;
}

interface AirtableRecord {
  id: string;
  createdTime?: string;
  fields: Record<string, unknown>;
}

const AIRTABLE_KEYS = new Set(['id', 'createdTime', 'fields', 'commentCount']);

/** An element shaped as the Airtable Web API sends a record. */
function isAirtableRecord(value: Record<string, unknown>): value is Record<string, unknown> & AirtableRecord {
  return typeof value.id === 'string' && isObject(value.fields) && Object.keys(value).every((k) => AIRTABLE_KEYS.has(k));
}

/** An Airtable record as read-airtable makes it: every mapped field (null when Airtable left it out, as it does empty ones), the id in `_meta`. */
function airtableLead(record: AirtableRecord, index: number, fields: ExportFields): Lead {
  const lead: Lead = {};
  for (const canonical of Object.values(fields.mapping.airtable_to_database)) setOwn(lead, canonical, null);
  for (const [name, value] of Object.entries(record.fields)) setOwn(lead, fields.field(name), value);
  lead._meta = {
    source: 'airtable',
    id: record.id,
    ...(typeof record.createdTime === 'string' ? { created_at: record.createdTime } : {}),
    original: { ...lead },
    index,
  };
  return lead;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
