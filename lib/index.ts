/**
 * The library: every stage is importable, alone or as a pipeline.
 *
 * ```ts
 * import { createStage, runPipeline, definePipeline } from 'lead-maintenance';
 * const summary = await runPipeline('pipelines/full.yaml', { dryRun: true });
 * ```
 */
export { stageStream } from './adapter.js';
export { configValue, DEFAULT_CONFIG_FILE, loadConfig, NO_CONFIG, type LoadedConfig } from './config.js';
export { type RunSettings } from './context.js';
export { createStage, definePipeline, type StepDefinition } from './embed.js';
export { AbortedError, AlertError, ConfigError, exitCodeOf, formatIssue, RecordError, StageError, type ConfigIssue, type SourcePosition } from './errors.js';
export { JsonlWriter, openInput, parseJsonLines, type JsonLine } from './jsonl.js';
export { createLogger, silentLogger, type Logger, type LoggerOptions } from './log.js';
export { isOperation, type Operation } from './operation.js';
export { defaultConfig, loadPipeline, type Pipeline, type PipelineStep } from './pipeline.js';
export { createProgress, type Progress } from './progress.js';
export { addProblem, describeRecord, metaOf, setField, type FieldChange, type Lead, type RecordMeta, type RecordProblem, type SourceSystem } from './record.js';
export { redact, redactText } from './redact.js';
export { stages } from '../stages/index.js';
export { registerStages } from './registry.js';
export { runPipeline, type RunError, type RunOptions, type RunSummary } from './runner.js';
export { defineStage, type BatchTransform, type OptionSpec, type OptionSpecs, type RecordFunction, type RecordTransform, type Stage, type StageContext, type StageCounters, type StageInstance, type StageKind } from './stage.js';
export { loadFieldMapping, type FieldMapping } from './field-mapping.js';
export { backupDatabase, checkIntegrity } from './sqlite/backup.js';
export { openDatabase } from './sqlite/open.js';
export { createSampleDatabase, ensureSampleDatabase } from './sqlite/sample.js';
export { migrate } from './sqlite/schema.js';
export { SyncState } from './sync/state.js';
export { planEntity, type ConflictStrategy, type DataConflict, type SyncDirection, type SyncSettings } from './sync/plan.js';
export * as normalizers from './normalize/index.js';
export * as matching from './match/index.js';
export { isEvent, type DuplicateGroup, type MaintenanceOptions, type MaintenanceResult } from './types.js';
export { raiseAlert, type Alert, type AlertSettings } from './report/alert.js';
export { AirtableApiError, AirtableClient, type ApiCall, type ClientSettings } from './airtable/client.js';
export { runFindings, type RunFindings } from './report/findings.js';
export { AUDIT_COLUMNS, csvCell, type AuditEntry, type AuditFormat } from './report/audit.js';
export { buildReport, maintenanceResult, type Metrics, type ReportData } from './report/model.js';
export { htmlReport } from './report/html.js';
export { markdownReport } from './report/markdown.js';
export { prometheusText } from './report/prometheus.js';
export * as safety from './safety/index.js';
export { acquireLock, resumeRun, rollbackRun, restoreBackup, verifyBackup, runGuarded } from './safety/index.js';
