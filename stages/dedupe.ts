import path from 'node:path';
import { openDedupeEngine, parkingLine, type ClusterFindings, type DedupeSettings } from '../lib/match/engine/index.js';
import { BLOCKING_FIELDS_OPTION, comparedFields, explainedPairLines, MATCHING_FIELDS_OPTION, SCORINGS, type Scoring } from '../lib/match/options.js';
import { strongKeyNames } from '../lib/match/keys.js';
import { FIELD_RULES, RESOLUTION_STRATEGIES, type FieldRule, type ResolutionStrategy } from '../lib/match/resolution.js';
import { LEAD_WEIGHTS } from '../lib/match/similarity.js';
import { COMPARISON_TYPES } from '../lib/match/model/index.js';
import { DEFAULT_COUNTRY_OPTION, defaultCountryProblems } from '../lib/normalize/options.js';
import { SerializedRecords } from '../lib/core/jsonl.js';
import { ReviewFile } from '../lib/report/review.js';
import { noteReviewFile } from '../lib/report/review-page-lines.js';
import type { Lead } from '../lib/core/record.js';
import { declareParallel, serializedOutput, type LineConsumer } from '../lib/parallel/capabilities.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { runFindings } from '../lib/core/findings.js';
import { isEvent, type DuplicateGroup } from '../lib/core/types.js';
import { reviewGroupLine } from '../lib/review/lines.js';
import { keptApart, reviewSettled } from '../lib/review/settled.js';
import { LINK_FIELD_OPTION } from '../lib/sync/links.js';

interface DedupeOptions {
  matching_fields: string[];
  blocking_fields: string[];
  matching_threshold: number;
  field_weights: Record<string, number>;
  scoring: Scoring;
  field_comparisons: Record<string, string>;
  explain: string[];
  max_block_size: number;
  resolution_strategy: ResolutionStrategy;
  field_precedence: Record<string, FieldRule>;
  protected_fields: string[];
  review_file: string;
  emit_groups: boolean;
  drop_duplicates: boolean;
  link_field: string;
  default_country: string;
  state_file: string | undefined;
}

/**
 * The seed's DuplicateDetector, on the dedupe engine (lib/match/engine): records are parked in
 * scratch files (memory stays flat) and clustered when the input ends: exact keys first, then fuzzy
 * scores within blocks, a block past max_block_size split by name. Each record comes out once, annotated; each system's survivor
 * carries the resolved values. Records without match keys (fingerprint did not run) are
 * fingerprinted there. The engine hands the output back as JSON lines, which go to a JSON Lines
 * writer as they are.
 */
const dedupe = defineStage<DedupeOptions>({
  name: 'dedupe',
  kind: 'transform',
  summary:
    'Finds leads that are one person (exact keys, then fuzzy scores within blocks), in one system and across both, marks one survivor per system and resolves its values by the configured strategy.',
  options: {
    matching_fields: MATCHING_FIELDS_OPTION,
    blocking_fields: BLOCKING_FIELDS_OPTION,
    matching_threshold: {
      type: 'number',
      default: 0.85,
      min: 0,
      max: 1,
      config: 'duplicate_detection.matching_threshold',
      description:
        'The fuzzy score (0 to 1) at or above which two leads of one block are the same person: under `learned` scoring the match probability, under `weighted` the weighted field similarity.',
      example: 0.9,
    },
    scoring: {
      type: 'string',
      values: SCORINGS,
      default: 'weighted',
      config: 'duplicate_detection.scoring',
      description:
        'How a pair of one block is scored: `weighted` takes `field_weights` as they are (set for lead tables); `learned` trains match weights on the records first (how often each field agrees, and how closely, among pairs that are one person and among random pairs; a rare value counts for more than a common one), so a table with other columns, or other data, is matched well without tuning.',
      example: 'learned',
    },
    field_weights: {
      type: 'object',
      default: LEAD_WEIGHTS,
      config: 'duplicate_detection.field_weights',
      description:
        'The fields the fuzzy score compares; under `weighted` scoring also their weights (only relative sizes matter, and a pair must share two of them). Past max_block_size, a block is split by the most heavily weighted field.',
      example: { name: 4, company: 3, phone: 2 },
    },
    field_comparisons: {
      type: 'object',
      default: {},
      config: 'duplicate_detection.field_comparisons',
      description: `How a field is compared, one of ${COMPARISON_TYPES.join(', ')}; a field named here that field_weights lacks is compared too (weighing 1 under \`weighted\`), so extra columns (an address, a date of birth, an external id) take part. By default a field's name decides (name, email, phone, website, address, date, id), else \`text\`.`,
      example: { location: 'address', date_of_birth: 'date', customer_number: 'exact' },
    },
    explain: {
      type: 'string[]',
      default: [],
      description:
        "Two records, as `<source>:<id>` (`local:12`, `airtable:recAbc`), whose score to explain in the log: each field's comparison level and weight, the running total and the match probability, and the fields that decided it.",
      example: ['local:12', 'local:40'],
    },
    max_block_size: {
      type: 'integer',
      default: 100,
      min: 2,
      config: 'duplicate_detection.max_block_size',
      description:
        'Blocks with more leads than this are split by the words of the name (the most heavily weighted field), and only leads sharing one are compared, so the work grows with the block, not its square; a part still past this size compares each lead with its next neighbours by name, and the pairs it leaves out are counted in the log and the report.',
      example: 200,
    },
    resolution_strategy: {
      type: 'string',
      values: RESOLUTION_STRATEGIES,
      default: 'most_recent',
      config: 'duplicate_detection.resolution_strategy',
      description:
        "Which record of a system survives and whose values it keeps: the last modified, the most complete and valid, the most complete taking the values `field_precedence` picks (`merge`), or none decided (`manual`: the group goes to the review file unchanged). Except under `manual`, the survivor's empty fields are filled from the others (the most recent value first) and every value it does not keep is listed in the duplicate group (`values_not_kept`).",
      example: 'merge',
    },
    field_precedence: {
      type: 'object',
      default: {},
      config: 'duplicate_detection.field_precedence',
      description: 'For `merge`, which value wins per field when duplicates disagree: most_recent (the default), oldest, survivor or longest.',
      example: { company: 'survivor', title: 'most_recent' },
    },
    protected_fields: {
      type: 'string[]',
      default: ['id', 'created_at', 'updated_at'],
      description: 'Fields a merge never writes (the link field is always protected too).',
      example: ['id', 'created_at', 'updated_at', 'owner'],
    },
    review_file: {
      type: 'path',
      default: 'review/duplicates.jsonl',
      description: 'Where `manual` writes each duplicate group for a person to decide, one JSON object per line (appended).',
      example: 'data/review/duplicates.jsonl',
    },
    emit_groups: {
      type: 'boolean',
      default: false,
      description:
        'After the records, emit one `duplicate_group` object per cluster with duplicates, for the report (its merged groups, and the values a merge did not keep in them and in the audit log).',
      example: true,
    },
    drop_duplicates: {
      type: 'boolean',
      default: false,
      description: 'Emit survivors only (for shell use: a deduplicated export); otherwise every record comes out, annotated.',
      example: true,
    },
    link_field: LINK_FIELD_OPTION,
    default_country: DEFAULT_COUNTRY_OPTION,
    state_file: {
      type: 'path',
      description:
        'The run state (sync-state.db): a group a person marked as not duplicates (`db-maintenance --apply-decisions`) is not proposed again there while its records are unchanged.',
      example: 'data/sync-state.db',
    },
  },
  check(options) {
    const problems = defaultCountryProblems(options);
    for (const [field, weight] of Object.entries(options.field_weights ?? {})) {
      if (typeof weight !== 'number' || !(weight >= 0))
        problems.push({ path: `field_weights.${field}`, message: `must be a number of at least 0, not ${JSON.stringify(weight)}` });
    }
    problems.push(...comparedFields(options).problems);
    if (options.explain?.length && options.explain.length !== 2)
      problems.push({ path: 'explain', message: `must name two records (e.g. [local:12, local:40]), not ${options.explain.length}` });
    for (const [field, rule] of Object.entries(options.field_precedence ?? {})) {
      if (!FIELD_RULES.includes(rule))
        problems.push({ path: `field_precedence.${field}`, message: `must be one of ${FIELD_RULES.join(', ')}, not ${JSON.stringify(rule)}` });
    }
    return problems;
  },
  create(options, ctx) {
    if (options.resolution_strategy === 'manual') noteReviewFile(ctx, options.review_file);
    const engine = openDedupeEngine(
      path.join(ctx.scratchDir(), `dedupe-${ctx.step}.db`),
      { ...threadSettings(options), apart: keptApart(options.state_file) },
      (parked) => {
        for (let i = 0; i < parked; i++) ctx.drop('clustering');
      },
    );
    ctx.onClose(() => engine.close());
    const review = new ReviewFile(options.review_file);
    const settled = reviewSettled(options.state_file, ctx);
    /** Serialized records as the output wants them: as they are for a JSON Lines writer, else parsed. */
    function* deliver(data: string | Uint8Array, count: number, records = true): Generator<Lead | SerializedRecords> {
      if (serializedOutput(ctx) && records) {
        yield new SerializedRecords(data, count);
        return;
      }
      const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString();
      for (let start = 0; start < text.length; ) {
        const end = text.indexOf('\n', start);
        yield JSON.parse(text.slice(start, end)) as Lead;
        start = end + 1;
      }
    }
    return {
      transform(record: Lead) {
        if (isEvent(record)) return record;
        const wait = engine.add(record);
        return wait ? wait.then(() => ctx.drop('clustering')) : ctx.drop('clustering');
      },
      lines: (data) => engine.addLines(data),
      flush: async function* () {
        for await (const batch of engine.output()) {
          for (let i = 0; i < batch.dropped; i++) ctx.drop('duplicate');
          // A dry run changes nothing anywhere, the review file included.
          if (options.resolution_strategy === 'manual' && !ctx.dryRun) {
            for (const group of batch.groups) {
              const line = reviewGroupLine(JSON.parse(group) as DuplicateGroup, options.link_field);
              if (!settled(line)) review.append(line);
            }
          }
          yield* deliver(batch.data, batch.count, !batch.events);
        }
        review.close();
        const { stats, unkeyed, duplicates } = engine.result;
        if (unkeyed)
          ctx.log.info('Records without match keys were fingerprinted by dedupe; put fingerprint before dedupe to choose its settings.', { records: unkeyed });
        ctx.log.info('Duplicates found.', { ...stats, duplicates });
        reportFindings(ctx, engine.result.findings, options.matching_threshold);
        if (stats.uncompared_pairs) {
          const message = `${stats.uncompared_pairs} pairs of leads in very large blocks were not compared fuzzily (blocks past max_block_size are split by name, but some parts were still past it); raise max_block_size or choose more selective blocking_fields to compare them.`;
          ctx.log.warn(message, { uncompared_pairs: stats.uncompared_pairs, split_blocks: stats.split_blocks, max_block_size: options.max_block_size });
          runFindings(ctx).warnings.push(message);
        }
      },
    } as LineConsumer;
  },
});

export default dedupe;

// The stage before a JSON Lines writer in a parallel run: the workers make each record's parking
// line, so that work is spread over the cores too, and the clustering thread takes the lines.
declareParallel(dedupe, {
  module: import.meta.url,
  takesLines(options) {
    const settings = threadSettings(options);
    return (record) => parkingLine(record, settings);
  },
});

/** The model trained, the histogram and the explained pair: in the log, and for the report. */
function reportFindings(ctx: StageContext, findings: ClusterFindings, threshold: number): void {
  if (findings.model) {
    const weights: Record<string, Record<string, number>> = {};
    for (const w of findings.model.weights) (weights[w.field] ??= {})[w.level] = Math.round(w.weight * 100) / 100;
    ctx.log.info('Match weights trained.', { prior: findings.model.prior, sessions: findings.model.sessions, weights });
  }
  runFindings(ctx).matching = {
    scoring: findings.scoring,
    threshold,
    histogram: findings.histogram,
    ...(findings.model ? { model: findings.model } : {}),
    ...(findings.first_pairs?.length ? { first_pairs: findings.first_pairs } : {}),
  };
  if (findings.first_pairs?.length) {
    const lines = findings.first_pairs.map((p) => `${p.ids.join(' and ')} (score ${p.score.toFixed(4)}): decided by ${p.decided_by.join(', ')}`);
    ctx.log.info(['First pairs matched by score, and the fields that decided them:', ...lines].join('\n'), { first_pairs: findings.first_pairs });
  }
  if (!findings.explained) return;
  const { ids, missing, explanation } = findings.explained;
  if (!explanation) {
    ctx.log.warn(
      `Cannot explain ${ids.join(' and ')}: ${missing.join(' and ')} had no blocking key, or is not in the input, so it was never compared fuzzily.`,
      { missing },
    );
    return;
  }
  ctx.log.warn(['Pair explained.', ...explainedPairLines(ids, explanation, threshold)].join('\n'));
}

function threadSettings(options: DedupeOptions): DedupeSettings {
  const compared = comparedFields(options);
  return {
    cluster: {
      strong_keys: strongKeyNames(options.matching_fields),
      weights: compared.weights,
      threshold: options.matching_threshold,
      max_block_size: options.max_block_size,
      default_country: options.default_country,
      scoring: options.scoring,
      training: { fields: compared.specs, sessions: Object.keys(compared.weights), seed: 1 },
      ...(options.explain?.length === 2 ? { explain: options.explain } : {}),
    },
    resolution: {
      strategy: options.resolution_strategy,
      field_precedence: options.field_precedence,
      protected_fields: [...options.protected_fields, options.link_field],
      default_country: options.default_country,
      describe_groups: options.emit_groups || options.resolution_strategy === 'manual',
    },
    keys: {
      matching_fields: options.matching_fields,
      blocking_fields: options.blocking_fields,
      link_field: options.link_field,
      default_country: options.default_country,
    },
    drop_duplicates: options.drop_duplicates,
    emit_groups: options.emit_groups,
  };
}
