/**
 * The project's Airtable emulator: a loopback HTTP server that behaves like the Airtable Web
 * API (see ../shared/airtable-contract.md), including its limits and failures.
 * Choices made where the real behaviour is unconfirmed: DECISIONS.md beside this file.
 */
export { startEmulator, DEFAULT_BASE_ID, DEFAULT_TOKEN, type Emulator, type EmulatorOptions } from './server.js';
export type { FaultSpec, FaultPreset } from './faults.js';
export type { LoggedRequest } from './request-log.js';
export type { RateLimitOptions } from './rate-limit.js';
export type { TokenGrant } from './state.js';
export type { SeedOptions, DumpedRecord } from './seed.js';
export {
  DEFAULT_LEAD_SCHEMA, loadSchemaFile,
  type EmulatorSchema, type BaseSchema, type TableSchema, type FieldSchema, type ViewSchema,
} from './schema.js';
export { CONTROL_PREFIX } from './control.js';
