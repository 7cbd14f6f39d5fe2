import { expect } from 'chai';
import { AirtableApiError, fieldOf, normalizeError } from '../../../lib/airtable/errors.js';

const site = { baseId: 'appEmulatorLeads1', table: 'Leads', method: 'GET', action: 'list records' };

describe('airtable errors', () => {
  it('turns airtable.js rejections into Errors with status, type, table and a remedy', () => {
    const error = normalizeError({ error: 'AUTHENTICATION_REQUIRED', message: 'Authentication required', statusCode: 401 }, site);
    expect(error).to.be.instanceOf(Error).and.instanceOf(AirtableApiError);
    expect(error).to.include({ status: 401, type: 'AUTHENTICATION_REQUIRED', table: 'Leads', retryable: false, rateLimited: false });
    expect(error.message).to.equal(
      'Airtable: list records in table Leads of base appEmulatorLeads1 failed (HTTP 401, AUTHENTICATION_REQUIRED): Authentication required. Airtable did not accept the token; set AIRTABLE_TOKEN to a valid personal access token.',
    );
  });

  it('tells which failures are worth retrying and which may have been applied', () => {
    const classify = (raw: object) => {
      const e = normalizeError(raw, site);
      return [e.retryable, e.outcomeUnknown, e.rateLimited];
    };
    expect(classify({ error: 'CONNECTION_ERROR', message: 'socket hang up', statusCode: null }), 'reset').to.deep.equal([true, true, false]);
    expect(classify({ error: 'SERVER_ERROR', message: 'x', statusCode: 500 }), '500').to.deep.equal([true, true, false]);
    expect(classify({ error: 'UNEXPECTED_ERROR', message: 'invalid JSON', statusCode: 200 }), 'non-JSON 200').to.deep.equal([true, true, false]);
    expect(classify({ error: 'RETRIABLE_ERROR', message: 'x', statusCode: 503 }), '503 says safe to retry').to.deep.equal([true, false, false]);
    expect(classify({ error: 'RATE_LIMIT_REACHED', message: 'x', statusCode: 429 }), '429').to.deep.equal([false, false, true]);
    expect(classify({ error: 'PUBLIC_API_BILLING_LIMIT_EXCEEDED', message: 'x', statusCode: 429 }), 'quota').to.deep.equal([false, false, false]);
    expect(classify({ error: 'INVALID_VALUE_FOR_COLUMN', message: 'x', statusCode: 422 }), '422').to.deep.equal([false, false, false]);
  });

  it('names the field of a 422 and how to fix it', () => {
    const error = normalizeError({ error: 'UNKNOWN_FIELD_NAME', message: 'Unknown field name: "Title"', statusCode: 422 }, site);
    expect(error.field).to.equal('Title');
    expect(error.message).to.match(/The table has no field 'Title': fix config\/field-mapping\.yaml\.$/);
    expect(fieldOf('Field "Date Scraped" cannot accept the provided value')).to.equal('Date Scraped');
  });

  it('never lets a token into an error message', () => {
    const token = 'patAbCdEfGhIjKlMnO.0123456789abcdef0123456789abcdef';
    const error = normalizeError({ error: 'CONNECTION_ERROR', message: `request failed, reason: Bearer ${token}`, statusCode: null }, site);
    expect(error.message).not.to.include(token);
    expect(error.message).to.include('[REDACTED]');
  });
});
