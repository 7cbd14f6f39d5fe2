/**
 * The project's Airtable emulator: a loopback HTTP server that behaves like the Airtable Web
 * API (see ../shared/airtable-contract.md), including its limits and failures.
 * Choices made where the real behaviour is unconfirmed: DECISIONS.md beside this file.
 */
export { startEmulator, DEFAULT_TOKEN, type Emulator, type EmulatorOptions } from './server.js';
export type { LoggedRequest } from './request-log.js';
export { DEFAULT_LEAD_SCHEMA, type BaseSchema, type TableSchema } from './schema.js';
