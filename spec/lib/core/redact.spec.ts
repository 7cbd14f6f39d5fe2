import { expect } from 'chai';
import { Writable } from 'node:stream';
import { createLogger } from '../../../lib/core/log.js';
import { redact, redactText } from '../../../lib/core/redact.js';

const PAT = 'patAbCdEfGhIjKlMn.0123456789abcdef0123456789abcdef0123456789abcdef';

function capture(): { stream: Writable; text: () => string } {
  let text = '';
  return {
    stream: new Writable({
      write(chunk, _e, cb) {
        text += chunk;
        cb();
      },
    }),
    text: () => text,
  };
}

describe('secret redaction', () => {
  it('masks Airtable personal access tokens and bearer headers in text', () => {
    expect(redactText(`token ${PAT} failed`)).to.equal('token [REDACTED] failed');
    expect(redactText('Authorization: Bearer abc.def-123')).to.equal('Authorization: [REDACTED]');
  });

  it('masks key=value secrets in URLs and messages', () => {
    expect(redactText('https://x.test/?api_key=s3cr3t&page=2')).to.equal('https://x.test/?api_key=[REDACTED]&page=2');
    expect(redactText('password: hunter22')).to.equal('password: [REDACTED]');
  });

  it('masks the values of secret environment variables wherever they appear', () => {
    process.env.LEADS_BACKUP_ENCRYPTION_KEY = 'correct-horse-battery';
    try {
      expect(redactText('opened with correct-horse-battery ok')).to.equal('opened with [REDACTED] ok');
    } finally {
      delete process.env.LEADS_BACKUP_ENCRYPTION_KEY;
    }
  });

  it('blanks values under secret-named keys, deeply, and leaves other data alone', () => {
    expect(redact({ apiKey: 'abc', nested: { token: 'xyz', email: 'a@b.co' }, list: [{ password: 'p' }] })).to.deep.equal({
      apiKey: '[REDACTED]',
      nested: { token: '[REDACTED]', email: 'a@b.co' },
      list: [{ password: '[REDACTED]' }],
    });
  });

  it('keeps secrets out of log lines, in messages and metadata, text and JSON alike', () => {
    for (const format of ['text', 'json'] as const) {
      const out = capture();
      const log = createLogger({ format, stream: out.stream });
      log.info(`Connecting with ${PAT}.`, { headers: { Authorization: `Bearer ${PAT}` }, table: 'Leads' });
      log.error('Failed.', { error: new Error(`bad token ${PAT}`) });
      expect(out.text()).not.to.contain(PAT);
      expect(out.text()).to.contain('Leads');
      expect(out.text()).to.contain('[REDACTED]');
    }
  });
});
