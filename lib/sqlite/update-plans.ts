import type { Db } from './open.js';
import { quoteIdent, type TableMap } from './table.js';
import { mappingName } from '../core/field-mapping.js';
import { toCell } from './values.js';

/** An operation that failed on its own account; the rest of its batch can still be applied. */
export class OperationFailure extends Error {}

export type Statement = ReturnType<Db['prepare']>;

/** The SQL function through which an UPDATE hands over the values it replaces (registered on the writer's connection only). */
export const CAPTURE_FUNCTION = 'lead_maintenance_replaced';

/** Prepared statements by their SQL. Field sets repeat (diff emits the same few shapes); the bound keeps memory flat anyway. */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();
  constructor(private readonly db: Db) {}

  get(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      if (this.statements.size >= 256) this.statements.clear();
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }
}

/** The columns and cell values an operation's fields set; throws OperationFailure for a field with no column or a value the column cannot hold. */
export function columnsOf(map: TableMap, fields: Record<string, unknown>): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [field, value] of Object.entries(fields)) {
    if (field === '_meta' || value === undefined) continue;
    const column = map.columnOf.get(field) ?? [map.createdColumn, map.modifiedColumn, map.idColumn].find((c): c is string => c !== null && c === field);
    if (column === undefined) {
      throw new OperationFailure(
        `Table '${map.table}' has no column for field '${field}'. Add the column (ALTER TABLE ${quoteIdent(map.table)} ADD COLUMN ${quoteIdent(field)}) or map it in ${mappingName(map.mappingFile)} (local.columns).`,
      );
    }
    try {
      out.push([column, toCell(value, map.typeOf.get(column) ?? '')]);
    } catch (error) {
      throw new OperationFailure(`Field '${field}': ${(error as Error).message}.`);
    }
  }
  return out;
}

/** An UPDATE for one set of fields: which of the operation's values to bind, and their columns' types. */
export interface UpdatePlan {
  sql: string;
  take: number[];
  types: string[];
  fields: string[];
  /** Where the id column's value sits among the fields, if the operation repeats it. */
  idAt: number;
  stmt: Statement | undefined;
  /** The columns whose values the update replaces (its own and the modified column). */
  replaced: string[];
}

/**
 * The UPDATE plans of a writer, one per set of fields (or why that set cannot be written).
 * Updates are the bulk of a run and come in a few shapes (the fields a stage changes), so the
 * SQL, quoting and column lookups are worked out once per shape.
 */
export class UpdatePlans {
  private readonly plans = new Map<string, UpdatePlan | string>();
  private last: { fields: string[]; plan: UpdatePlan | string } | undefined;

  /** `capture`: the UPDATE hands the values it replaces to CAPTURE_FUNCTION (see SqliteWriter). */
  constructor(
    private readonly map: TableMap,
    private readonly capture: boolean,
  ) {}

  /** The plan for the fields `given` sets, or the reason they cannot be written. */
  of(given: Record<string, unknown>): UpdatePlan | string {
    const plan = this.lastFor(given);
    if (plan !== undefined) return plan;
    const fields: string[] = [];
    for (const field in given) if (field !== '_meta' && given[field] !== undefined) fields.push(field);
    return this.planFor(fields);
  }

  /** The plan of the last update when `given` sets the same fields in the same order (the usual case), without collecting them. */
  private lastFor(given: Record<string, unknown>): UpdatePlan | string | undefined {
    if (this.last === undefined) return undefined;
    const fields = this.last.fields;
    let n = 0;
    for (const field in given) {
      if (field === '_meta' || given[field] === undefined) continue;
      if (fields[n] !== field) return undefined;
      n++;
    }
    return n === fields.length ? this.last.plan : undefined;
  }

  private planFor(fields: string[]): UpdatePlan | string {
    const key = fields.join('\u0000');
    let plan = this.plans.get(key);
    if (plan === undefined) {
      try {
        plan = this.build(fields);
      } catch (error) {
        if (!(error instanceof OperationFailure)) throw error;
        plan = error.message;
      }
      if (this.plans.size >= 256) this.plans.clear();
      this.plans.set(key, plan);
    }
    this.last = { fields, plan };
    return plan;
  }

  private build(fields: string[]): UpdatePlan {
    const map = this.map;
    const take: number[] = [];
    const columns: string[] = [];
    let idAt = -1;
    fields.forEach((field, i) => {
      const [[column]] = columnsOf(map, { [field]: null });
      if (column === map.idColumn) idAt = i;
      else if (column !== map.modifiedColumn) {
        take.push(i);
        columns.push(column!);
      }
    });
    if (map.modifiedColumn && take.length) columns.push(map.modifiedColumn);
    const sets = columns.map((c) => `${quoteIdent(c)} = ?`).join(', ');
    const id = quoteIdent(map.idColumn);
    // Capturing: the WHERE clause sees the row before the update, so one lookup serves both.
    const capture = this.capture ? ` AND ${CAPTURE_FUNCTION}(${id} = ?, ${columns.map(quoteIdent).join(', ')})` : '';
    return {
      replaced: columns,
      sql: take.length ? `UPDATE ${quoteIdent(map.table)} SET ${sets} WHERE ${id} = ?${capture}` : '',
      stmt: undefined,
      take,
      types: columns.map((c) => map.typeOf.get(c) ?? ''),
      fields,
      idAt,
    };
  }
}
