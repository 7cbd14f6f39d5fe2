import { expect } from 'chai';
import { ConfigError, StageError } from '../../../lib/core/errors.js';
import {
  CONNECTION_OPTIONS,
  clientConfig,
  connect,
  connectionUrl,
  parseTableName,
  qualifiedName,
  redactUrl,
  scrub,
  tableLabel,
} from '../../../lib/postgres/connection.js';
import { postgresOrSkip, type TestPostgres } from '../../support/postgres.js';

describe('lib/postgres/connection', () => {
  describe('redactUrl', () => {
    it('replaces the password of a URL and keeps who, where and which database', () => {
      expect(redactUrl('postgres://leads:s3cr%40t@db.internal:5432/crm')).to.equal('postgres://leads:***@db.internal:5432/crm');
    });

    it('hides a password given as a query parameter', () => {
      expect(redactUrl('postgres://db/crm?password=hunter22&sslmode=require')).to.not.include('hunter22');
    });

    it('hides the password of a text that is not a parseable URL', () => {
      expect(redactUrl('postgres://leads:hunter22@[bad')).to.not.include('hunter22');
    });
  });

  describe('scrub', () => {
    it('removes a secret and any URL password from a message', () => {
      const text = scrub('failed for hunter22 at postgres://a:other-pw@h/db', ['hunter22']);
      expect(text).to.not.include('hunter22');
      expect(text).to.not.include('other-pw');
    });
  });

  describe('connectionUrl', () => {
    it('takes LEADS_DATABASE_URL before DATABASE_URL', () => {
      const env = { LEADS_DATABASE_URL: 'postgres://a@h/leads', DATABASE_URL: 'postgres://b@h/other' };
      expect(connectionUrl({}, 'read-postgres', env)).to.deep.equal({ url: 'postgres://a@h/leads', from: 'LEADS_DATABASE_URL' });
    });

    it('refuses a password in the url option, without repeating it', () => {
      let error: unknown;
      try {
        connectionUrl({ url: 'postgres://a:hunter22@h/db' }, 'read-postgres', {});
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      expect((error as Error).message)
        .to.include('PGPASSWORD')
        .and.not.include('hunter22');
    });

    it('says which variables to set when no server is given', () => {
      expect(() => connectionUrl({}, 'read-postgres', {})).to.throw(ConfigError, /LEADS_DATABASE_URL/);
    });
  });

  describe('clientConfig', () => {
    it('lets the tls option override an sslmode in the URL', () => {
      const config = clientConfig({ tls: 'off' }, 'read-postgres', '.', { DATABASE_URL: 'postgres://a@h/db?sslmode=require' });
      expect(config.ssl).to.equal(false);
      expect(config.connectionString).to.not.include('sslmode');
    });

    it('declares every TLS mode it accepts, so a typo is a configuration error', () => {
      expect(CONNECTION_OPTIONS.tls.values).to.deep.equal(['off', 'require', 'verify']);
    });

    it('checks the server certificate with tls verify', () => {
      const config = clientConfig({ tls: 'verify' }, 'read-postgres', '.', { DATABASE_URL: 'postgres://a@h/db' });
      expect(config.ssl).to.deep.include({ rejectUnauthorized: true });
    });
  });

  describe('parseTableName', () => {
    it('reads a schema-qualified name and quotes both parts', () => {
      expect(qualifiedName(parseTableName('crm.leads', 'x'))).to.equal('"crm"."leads"');
    });

    it('keeps quotes, dots and spaces inside a quoted part', () => {
      const name = parseTableName('"my.schema"."Le""ads; DROP TABLE x"', 'x');
      expect(name).to.deep.equal({ schema: 'my.schema', name: 'Le"ads; DROP TABLE x' });
      expect(qualifiedName(name)).to.equal('"my.schema"."Le""ads; DROP TABLE x"');
    });

    it('names a table in messages as the user wrote it, without quotes', () => {
      expect(tableLabel(parseTableName('"my.schema".leads', 'x'))).to.equal('my.schema.leads');
    });

    it('rejects three parts, empty parts and NUL characters with the way to write it', () => {
      for (const bad of ['a.b.c', 'a.', '.a', 'a\0b', '"open']) expect(() => parseTableName(bad, 'x'), bad).to.throw(ConfigError, /schema\.table/);
    });
  });

  describe('connect, against a real server', () => {
    let db: TestPostgres;
    before(async function () {
      db = await postgresOrSkip(this);
    });

    it('connects from LEADS_DATABASE_URL', async () => {
      const saved = process.env.LEADS_DATABASE_URL;
      process.env.LEADS_DATABASE_URL = db.url;
      try {
        const client = await connect({}, 'read-postgres');
        const { rows } = await client.query('SELECT current_database() AS name');
        await client.end();
        expect(rows[0].name).to.equal(db.database);
      } finally {
        if (saved === undefined) delete process.env.LEADS_DATABASE_URL;
        else process.env.LEADS_DATABASE_URL = saved;
      }
    });

    it('connects over the Unix socket', async () => {
      const saved = process.env.LEADS_DATABASE_URL;
      process.env.LEADS_DATABASE_URL = db.socketUrl;
      try {
        const client = await connect({}, 'read-postgres');
        const { rows } = await client.query('SELECT 1 AS one');
        await client.end();
        expect(rows[0].one).to.equal(1);
      } finally {
        if (saved === undefined) delete process.env.LEADS_DATABASE_URL;
        else process.env.LEADS_DATABASE_URL = saved;
      }
    });

    it('reports refused credentials clearly and never shows the password tried', async () => {
      const wrong = 'not-the-password-42';
      const saved = process.env.LEADS_DATABASE_URL;
      process.env.LEADS_DATABASE_URL = db.url.replace(encodeURIComponent(db.password), wrong);
      let error: unknown;
      try {
        await connect({}, 'read-postgres');
      } catch (e) {
        error = e;
      } finally {
        if (saved === undefined) delete process.env.LEADS_DATABASE_URL;
        else process.env.LEADS_DATABASE_URL = saved;
      }
      expect(error).to.be.instanceOf(StageError);
      const text = `${(error as Error).message}\n${(error as Error).stack}\n${JSON.stringify(error)}`;
      expect(text).to.include('refused the credentials').and.include(`${db.user}@127.0.0.1:${db.port}/${db.database}`);
      expect(text).to.not.include(wrong);
      expect(text).to.not.include(db.password);
    });

    it('says the server cannot be reached when nothing listens on the port', async () => {
      const saved = process.env.LEADS_DATABASE_URL;
      process.env.LEADS_DATABASE_URL = 'postgres://nobody@127.0.0.1:1/none';
      try {
        await connect({ connect_timeout_ms: 2000 }, 'read-postgres').then(
          () => expect.fail('connected'),
          (error: Error) => expect(error.message).to.match(/Cannot reach PostgreSQL at nobody@127\.0\.0\.1:1\/none/),
        );
      } finally {
        if (saved === undefined) delete process.env.LEADS_DATABASE_URL;
        else process.env.LEADS_DATABASE_URL = saved;
      }
    });
  });
});
