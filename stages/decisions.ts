import fs from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE } from '../lib/core/private-files.js';
import type { Lead } from '../lib/core/record.js';
import { defineStage, type StageContext } from '../lib/core/stage.js';
import { runFindings } from '../lib/core/findings.js';
import { isDuplicateGroup, isEvent, type DecisionOutcome, type StreamItem } from '../lib/core/types.js';
import { DecisionApplier, type ChosenValues } from '../lib/review/apply.js';
import { readDecisionsFile } from '../lib/review/decisions-file.js';
import { rememberSettled } from '../lib/review/memory.js';
import { settledGroups } from '../lib/review/settled.js';
import { LINK_FIELD_OPTION } from '../lib/sync/links.js';

interface DecisionsOptions {
  file: string;
  state_file: string | undefined;
  protected_fields: string[];
  link_field: string;
}

/**
 * Applies a person's decisions (a decisions file, config/decisions.schema.json) between dedupe
 * and diff, so they reach both systems through the writers, the journal and the report like any
 * other change. Only the records the decisions name are held back until the input ends; the rest
 * pass at once.
 */
export default defineStage<DecisionsOptions>({
  name: 'decisions',
  kind: 'transform',
  summary:
    'Applies the decisions a person made about duplicate groups and conflicts left for review (merge with chosen values, not duplicates, a conflict value), skipping those whose records changed since the review.',
  options: {
    file: {
      type: 'path',
      required: true,
      description:
        'The decisions file (JSON, config/decisions.schema.json), made from the review page or by hand from `db-maintenance --review`. A file with any problem stops the run before data moves.',
      example: 'data/decisions.json',
    },
    state_file: {
      type: 'path',
      description: 'The run state (sync-state.db) where the decided groups and conflicts are remembered once the run succeeds, so they are not proposed again.',
      example: 'data/sync-state.db',
    },
    protected_fields: {
      type: 'string[]',
      default: ['id', 'created_at', 'updated_at'],
      description: 'Fields a decision never writes (the link field is always protected too).',
      example: ['id', 'created_at', 'updated_at', 'owner'],
    },
    link_field: LINK_FIELD_OPTION,
  },
  create(options, ctx) {
    const applier = new DecisionApplier(readDecisionsFile(options.file), options);
    // Created before any record moves, so dedupe knows which groups not to put up for review again.
    for (const key of applier.groupKeys()) settledGroups(ctx).add(key);
    let done = false;
    ctx.onClose(() => {
      if (done && options.state_file && !ctx.dryRun && !runFindings(ctx).failure && !ctx.signal.aborted)
        rememberSettled(options.state_file, applier.settled(), ctx.runId, ctx.now());
    });
    return {
      transform(item: StreamItem) {
        if (isDuplicateGroup(item)) {
          applier.noteProposed(item);
          return applier.supersedes(item) ? ctx.drop('decided') : item;
        }
        if (isEvent(item)) return item;
        const record = item as Lead;
        if (!applier.holds(record)) return record;
        applier.park(record);
        return ctx.drop('held');
      },
      flush: function* () {
        const chosenFile = chosenValuesFile(ctx, options);
        if (chosenFile && fs.existsSync(chosenFile)) applier.resume(JSON.parse(fs.readFileSync(chosenFile, 'utf8')) as ChosenValues);
        const out = applier.finish();
        // Written before any record a decision changed moves on to the writers.
        if (chosenFile) fs.writeFileSync(chosenFile, JSON.stringify(applier.chosenValues()), { mode: PRIVATE_FILE_MODE });
        yield* out;
        done = true;
        report(applier.outcomes, ctx);
        // One item per decision, applied or not, for the report's audit log: a "not duplicates" changes no value, so no operation names it.
        yield* applier.outcomes;
      },
    };
  },
});

/**
 * Where a live run keeps what its decisions chose: beside its journal. Only a resumed run (its
 * journal was there before it) reads it back: its first attempt may have written part of them.
 */
function chosenValuesFile(ctx: StageContext, options: DecisionsOptions): string | undefined {
  const journal = ctx.journal(options.state_file ?? options.file);
  return journal && path.join(path.dirname(journal.file), 'decisions-chosen.json');
}

function report(outcomes: readonly DecisionOutcome[], ctx: StageContext): void {
  const count = (status: DecisionOutcome['status']): number => outcomes.filter((o) => o.status === status).length;
  ctx.log.info('Decisions applied.', { applied: count('applied'), stale: count('stale'), refused: count('refused') });
  for (const outcome of outcomes) {
    const what = `Decision ${outcome.number} (${outcome.decision}: ${outcome.records.join(', ')})`;
    if (outcome.status === 'applied') {
      ctx.log.info(`${what} ${ctx.dryRun ? 'would be applied (dry run)' : 'applied'}.`, { decision: outcome.number, rule: `decision.${outcome.number}` });
      continue;
    }
    const message =
      outcome.status === 'stale'
        ? `${what} is stale and was not applied: ${outcome.reason}; it is up for review again.`
        : `${what} was not applied: ${outcome.reason}.`;
    ctx.log.warn(message, { decision: outcome.number });
    runFindings(ctx).warnings.push(message);
  }
}
