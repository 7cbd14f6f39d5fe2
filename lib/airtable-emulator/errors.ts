/**
 * The error catalogue of the contract's §3 in one place. Every error the emulator sends on the
 * Airtable surface is built here, so status, type and wording can be compared with the contract
 * at a glance. Entries marked "invented" are choices for behaviour the contract lists as
 * unconfirmed; DECISIONS.md explains each.
 */

/** The JSON body of an error: the object envelope or the bare-string one. */
export type ErrorBody = { error: { type: string; message?: string } } | { error: string };

/** An error response in waiting; route handlers throw it, the server sends it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.error === 'string' ? body.error : (body.error.message ?? body.error.type));
  }
}

function typed(status: number, type: string, message?: string): ApiError {
  return new ApiError(status, { error: message === undefined ? { type } : { type, message } });
}

const GENERIC_422 = 'Invalid request: parameter validation failed. Check your request data.';

export const errors = {
  /** Undefined route or malformed id: the bare-string envelope. */
  notFoundRoute: () => new ApiError(404, { error: 'NOT_FOUND' }),
  authenticationRequired: () => typed(401, 'AUTHENTICATION_REQUIRED', 'Authentication required'),
  permissionsOrModelNotFound: () =>
    typed(
      403,
      'INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND',
      'Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct.',
    ),
  /** Legacy (pre-PAT) answer for an unknown table, available behind an option. */
  tableNotFound: (table: string, baseId: string) => typed(404, 'TABLE_NOT_FOUND', `Could not find table ${table} in application ${baseId}`),
  recordNotFound: () => typed(404, 'MODEL_ID_NOT_FOUND', 'Record not found'),
  /** Invented: the real status and body for an over-long URL are unconfirmed. */
  urlTooLong: (length: number) =>
    typed(414, 'INVALID_REQUEST_URL_TOO_LONG', `The request URL is ${length} characters long; the maximum is 16000. Use POST listRecords for long formulas.`),
  /** Invented body; airtable.js names this case REQUEST_TOO_LARGE. */
  requestTooLarge: () => typed(413, 'REQUEST_TOO_LARGE', 'Request body is too large'),
  /** Invented: the type of a 400 for an unparseable body is unconfirmed. */
  invalidJson: () => typed(400, 'INVALID_REQUEST_UNKNOWN', 'Invalid request: the request body is not valid JSON.'),
  invalidRequest: (message = GENERIC_422) => typed(422, 'INVALID_REQUEST_UNKNOWN', message),
  missingFields: () => typed(422, 'INVALID_REQUEST_MISSING_FIELDS', 'Could not find field "fields" in the request body'),
  tooManyRecords: (verb: 'created' | 'updated' | 'deleted', n: number) =>
    typed(422, 'INVALID_RECORDS', `A maximum of 10 records can be ${verb} per request but you have provided ${n}.`),
  invalidRecords: (message: string) => typed(422, 'INVALID_RECORDS', message),
  unknownField: (name: string) => typed(422, 'UNKNOWN_FIELD_NAME', `Unknown field name: "${name}"`),
  computedField: (name: string) => typed(422, 'INVALID_VALUE_FOR_COLUMN', `Field "${name}" cannot accept a value because the field is computed`),
  invalidValue: (name: string) => typed(422, 'INVALID_VALUE_FOR_COLUMN', `Field "${name}" cannot accept the provided value`),
  invalidChoice: (choice: string) => typed(422, 'INVALID_MULTIPLE_CHOICE_OPTIONS', `Insufficient permissions to create new select option "${choice}"`),
  invalidFormula: (unknownFields?: string[]) =>
    typed(
      422,
      'INVALID_FILTER_BY_FORMULA',
      unknownFields?.length
        ? `The formula for filtering records is invalid: Unknown field names: ${unknownFields.join(', ')}`
        : 'The formula for filtering records is invalid: please check your formula text.',
    ),
  viewNotFound: (view: string) => typed(422, 'VIEW_NAME_NOT_FOUND', `View ${view} not found`),
  iteratorNotAvailable: () => typed(422, 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE'),
  invalidOffset: (offset: string) => typed(422, 'INVALID_OFFSET_VALUE', `The value of offset ${offset} is invalid`),
  rowDoesNotExist: (id: string) => typed(422, 'ROW_DOES_NOT_EXIST', `Record ID ${id} does not exist in this table`),
  rateLimited: () => typed(429, 'RATE_LIMIT_REACHED', 'Rate limit exceeded. Please try again later'),
  /** The type is from third-party reports; the message is invented. */
  billingLimit: () =>
    typed(
      429,
      'PUBLIC_API_BILLING_LIMIT_EXCEEDED',
      'The monthly API call limit of this workspace has been exceeded. Upgrade the plan or wait until next month.',
    ),
  /** Invented: no public wording for a full base. */
  recordCapReached: (cap: number) => typed(422, 'INVALID_RECORDS', `This base has reached its limit of ${cap} records; delete records or upgrade the plan.`),
};
