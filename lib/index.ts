/**
 * The library: every stage is importable, alone or as a pipeline.
 *
 * ```ts
 * import { createStage, runPipeline, definePipeline } from 'lead-maintenance';
 * const summary = await runPipeline('pipelines/full.yaml', { dryRun: true });
 * ```
 */
export { stageStream } from './core/adapter.js';
export { configValue, DEFAULT_CONFIG_FILE, loadConfig, NO_CONFIG, type LoadedConfig } from './core/config.js';
export type { RunSettings } from './core/context.js';
export { createStage, definePipeline, type StepDefinition } from './core/embed.js';
export {
  AbortedError,
  AlertError,
  ConfigError,
  exitCodeOf,
  formatIssue,
  RecordError,
  StageError,
  type ConfigIssue,
  type SourcePosition,
} from './core/errors.js';
export { JsonlWriter, openInput, parseJsonLines, type JsonLine } from './core/jsonl.js';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './core/log.js';
export { isOperation, type Operation } from './core/operation.js';
export { defaultConfig, loadPipeline, type Pipeline, type PipelineStep } from './core/pipeline.js';
export { createProgress, type Progress } from './core/progress.js';
export {
  addProblem,
  describeRecord,
  metaOf,
  setField,
  type FieldChange,
  type Lead,
  type RecordMeta,
  type RecordProblem,
  type SourceSystem,
} from './core/record.js';
export { redact, redactText } from './core/redact.js';
export { stages } from '../stages/index.js';
export { registerStages } from './core/registry.js';
export { runPipeline, type RunError, type RunOptions, type RunSummary } from './core/runner.js';
export {
  defineStage,
  type BatchTransform,
  type OptionSpec,
  type OptionSpecs,
  type RecordFunction,
  type RecordTransform,
  type Stage,
  type StageContext,
  type StageCounters,
  type StageInstance,
  type StageKind,
} from './core/stage.js';
export { loadFieldMapping, type FieldMapping } from './core/field-mapping.js';
export { backupDatabase, checkIntegrity } from './sqlite/backup.js';
export { openDatabase } from './sqlite/open.js';
export { createSampleDatabase, ensureSampleDatabase } from './sqlite/sample.js';
export { migrate } from './sqlite/schema.js';
export { SyncState } from './sync/state.js';
export { planEntity, type ConflictStrategy, type DataConflict, type SyncDirection, type SyncSettings } from './sync/plan.js';
export * as normalizers from './normalize/index.js';
export * as matching from './match/index.js';
export { isEvent, type DuplicateGroup, type MaintenanceOptions, type MaintenanceResult } from './core/types.js';
export { raiseAlert, type Alert, type AlertSettings } from './report/alert.js';
export { AirtableApiError, AirtableClient, type ApiCall, type ClientSettings } from './airtable/client.js';
export { DEFAULT_LEAD_SCHEMA, startEmulator, type Emulator, type EmulatorOptions } from './airtable-emulator/index.js';
export { runFindings, type RunFindings } from './core/findings.js';
export { AUDIT_COLUMNS, csvCell, type AuditEntry, type AuditFormat } from './report/audit.js';
export { buildReport, maintenanceResult, type Metrics, type ReportData } from './report/model.js';
export { htmlReport } from './report/html.js';
export { markdownReport } from './report/markdown.js';
export { prometheusText } from './report/prometheus.js';
export * as safety from './safety/index.js';
export { acquireLock, resumeRun, rollbackRun, restoreBackup, verifyBackup, runGuarded } from './safety/index.js';
